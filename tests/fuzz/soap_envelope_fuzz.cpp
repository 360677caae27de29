// libFuzzer target for soap::parse_envelope, the security server's reader of the SOAP envelopes
// its information systems send (docs/protocol/soap.md "Parsing"): whatever the bytes, it accepts
// them with header fields that each meet their rule, or refuses with kInvalidArgument and a short
// message; an accepted input holds no declaration; and libxml2's guards alone (without the markup
// pass) never accept what the full reader refuses for a reason they also check.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "exchange/message.hpp"
#include "soap/soap_envelope.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xacbe;
  using namespace xacbe::ss;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  soap::Limits limits;
  limits.max_bytes = 64 * 1024;
  auto header = soap::parse_envelope(input, limits);
  if (!header) {
    if (header.status().code() != Code::kInvalidArgument) abort();
    if (header.status().message().size() > 400) abort();
    return 0;
  }
  if (input.find("<!DOCTYPE") != std::string_view::npos || input.find("<!ENTITY") != std::string_view::npos) abort();
  if (header->protocol_version != soap::kProtocolVersion) abort();
  if (!is_message_id(header->message_id) || !is_header_text(header->user_id) || !is_header_text(header->issue)) abort();
  auto service = id::ServiceId::parse(header->service.to_string());
  if (!service || !(*service == header->service)) abort();
  auto client = id::ClientId::parse(header->client.to_string());
  if (!client || !(*client == header->client)) abort();
  // What the whole reader accepts, libxml2 under its own guards accepts too, with the same fields.
  limits.scan_markup = false;
  auto alone = soap::parse_envelope(input, limits);
  if (!alone || alone->message_id != header->message_id || alone->client.to_string() != header->client.to_string())
    abort();
  return 0;
}
