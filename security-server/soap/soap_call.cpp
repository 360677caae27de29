#include "soap/soap_call.hpp"

#include <algorithm>
#include <cctype>

#include "exchange/message.hpp"
#include "xacbe/log/log.hpp"

namespace xacbe::ss::soap {
namespace {

std::string trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return std::string(s.substr(first, s.find_last_not_of(" \t") - first + 1));
}

// text/xml, parameters allowed, a charset parameter only UTF-8 (SOAP 1.1 section 6.1.1).
Status check_content_type(const net::Headers& headers) {
  if (count_headers(headers, "content-type") != 1) return invalid_argument("one Content-Type: text/xml is required");
  const std::string value = ascii_lower(net::find_header(headers, "Content-Type"));
  const std::size_t semicolon = value.find(';');
  const std::string media = trimmed(std::string_view(value).substr(0, semicolon));
  if (media == "application/soap+xml")
    return invalid_argument("SOAP 1.2 (application/soap+xml) is not accepted: SOAP 1.1 only");
  if (media != "text/xml") return invalid_argument("Content-Type must be text/xml");
  for (std::size_t at = semicolon; at != std::string::npos;) {
    const std::size_t next = value.find(';', at + 1);
    const std::string parameter =
        trimmed(std::string_view(value).substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1));
    if (parameter.rfind("charset=", 0) == 0) {
      std::string charset = parameter.substr(8);
      if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"')
        charset = charset.substr(1, charset.size() - 2);
      if (charset != "utf-8") return invalid_argument("the envelope must be UTF-8 (charset)");
    }
    at = next;
  }
  return Status::ok();
}

}  // namespace

bool is_soap_target(std::string_view target) {
  return target.substr(0, kSoapPath.size()) == kSoapPath &&
         (target.size() == kSoapPath.size() || target[kSoapPath.size()] == '?');
}

Result<SoapCall> soap_call(net::HttpRequest request, const Limits& limits) {
  if (request.method != "POST") return invalid_argument("SOAP calls are POSTed to /soap");
  if (request.target != kSoapPath) return invalid_argument("no query on /soap");
  XACBE_RETURN_IF_ERROR(check_content_type(request.headers));
  if (count_headers(request.headers, "soapaction") != 1) return invalid_argument("one SOAPAction header is required");
  XACBE_ASSIGN_OR_RETURN(SoapHeader header, parse_envelope(request.body, limits));

  net::HttpRequest out;
  out.method = "POST";
  // Five parts, so that parse_rest_target reads no path; the version travels in SoapCall::service.
  out.target = "/r1/" + header.service.subsystem().to_string() + "/" + header.service.service();
  for (auto& [name, value] : request.headers) {
    if (ascii_lower(name).rfind("x-xacbe-", 0) != 0) out.headers.emplace_back(std::move(name), std::move(value));
  }
  out.headers.emplace_back("X-Xacbe-Client", header.client.to_string());
  out.headers.emplace_back("X-Xacbe-Id", header.message_id);
  if (!header.user_id.empty()) out.headers.emplace_back("X-Xacbe-UserId", header.user_id);
  if (!header.issue.empty()) out.headers.emplace_back("X-Xacbe-Issue", header.issue);
  if (!header.represented_party.empty()) out.headers.emplace_back("X-Xacbe-Represented-Party", header.represented_party);
  out.body = std::move(request.body);
  out.peer_address = std::move(request.peer_address);
  out.peer_certificate = std::move(request.peer_certificate);
  return SoapCall{std::move(out), std::move(header.service)};
}

}  // namespace xacbe::ss::soap
