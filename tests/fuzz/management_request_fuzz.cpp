// libFuzzer target for management::parse_request, the registry's reader of the bytes a security
// server signs: whatever the bytes, it refuses with kInvalidArgument and a bounded message, or it
// yields a request that the canonical builder writes again (to_json) and that reads back to the
// same canonical bytes. Seeds: valid requests of every type and broken ones
// (fuzz_seed_corpus writes them).

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "xacbe/management/management_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xacbe;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = management::parse_request(input, "QROO");
  if (!parsed) {
    // Messages reach the audit trail: never unbounded, whatever the input.
    if (parsed.status().code() != Code::kInvalidArgument || parsed.status().message().size() > 4096) abort();
    return 0;
  }
  auto canonical = management::to_json(*parsed);
  if (!canonical) {
    // Re-encoded PEM may be longer than the sender's; only the size limit may refuse it.
    if (canonical.status().message().find("over 64 KiB") == std::string::npos) abort();
    return 0;
  }
  auto again = management::parse_request(*canonical, "QROO");
  if (!again) abort();
  auto twice = management::to_json(*again);
  if (!twice || *twice != *canonical) abort();
  return 0;
}
