#include "xacbe/management/registry_client.hpp"

#include <algorithm>

#include "xacbe/config/strict_json.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::management {
namespace {

using Json = nlohmann::json;

// The registry's words reach our logs: bounded (cut at a UTF-8 character boundary), control
// characters blanked.
std::string bounded(const std::string& text) {
  constexpr std::size_t kMax = 512;
  std::size_t end = std::min(text.size(), kMax);
  while (end < text.size() && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  std::string out;
  for (unsigned char c : text.substr(0, end)) out.push_back(c >= 0x20 && c != 0x7f ? static_cast<char>(c) : ' ');
  if (end < text.size()) out += "...";
  return out;
}

// {"error": {"code": "...", "message": "..."}} (docs/protocol/faults.md) as the Status it names.
Status refusal(const net::HttpResponse& response) {
  auto parsed = config::parse_json_strict(response.body);
  if (parsed && parsed->is_object() && parsed->contains("error") && (*parsed)["error"].is_object()) {
    const Json& error = (*parsed)["error"];
    const std::string name =
        error.contains("code") && error["code"].is_string() ? error["code"].get<std::string>() : "";
    const std::string message =
        error.contains("message") && error["message"].is_string() ? error["message"].get<std::string>() : "";
    for (int c = static_cast<int>(Code::kInvalidArgument); c <= static_cast<int>(Code::kInternal); ++c) {
      if (name == code_name(static_cast<Code>(c))) return {static_cast<Code>(c), "registry: " + bounded(message)};
    }
    // HTTP-level refusals (UNSUPPORTED_MEDIA_TYPE, METHOD_NOT_ALLOWED, ...) have no code of their own.
    if (!name.empty()) return invalid_argument("registry: " + bounded(name) + ": " + bounded(message));
  }
  return invalid_argument("registry answered HTTP " + std::to_string(response.status) + " without an error document");
}

}  // namespace

Result<RegistryAnswer> send_request(const std::string& registry_url, const SignedRequest& request,
                                    const net::ClientOptions& options) {
  std::string url = registry_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += kRegistryPath;
  net::HttpRequest http;
  http.method = "POST";
  http.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  http.body =
      Json{{"request", crypto::base64_encode(request.request)}, {"signature", crypto::base64_encode(request.signature)}}
          .dump();
  XACBE_ASSIGN_OR_RETURN(net::HttpResponse response, net::http_request(url, std::move(http), options));
  if (response.status < 200 || response.status > 299) return refusal(response);
  auto body = config::parse_json_strict(response.body);
  if (!body || !body->is_object()) {
    return invalid_argument("registry answered HTTP " + std::to_string(response.status) +
                            " with a body that is not a JSON object");
  }
  return RegistryAnswer{response.status, std::move(response.body)};
}

}  // namespace xacbe::management
