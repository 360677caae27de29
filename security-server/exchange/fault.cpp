#include "exchange/fault.hpp"

#include <array>
#include <utility>

#include "xacbe/config/strict_json.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/log/log.hpp"

namespace xacbe::ss {
namespace {

struct CodeInfo {
  FaultCode code;
  std::string_view name;
  int http_status;
};

constexpr std::array kCodes{
    CodeInfo{FaultCode::kMalformedRequest, "MALFORMED_REQUEST", 400},
    CodeInfo{FaultCode::kBodyTooLarge, "BODY_TOO_LARGE", 413},
    CodeInfo{FaultCode::kHeadersTooLarge, "HEADERS_TOO_LARGE", 431},
    CodeInfo{FaultCode::kUnknownClient, "UNKNOWN_CLIENT", 403},
    CodeInfo{FaultCode::kClientNotAuthenticated, "CLIENT_NOT_AUTHENTICATED", 401},
    CodeInfo{FaultCode::kNoGlobalConfiguration, "NO_GLOBAL_CONFIGURATION", 503},
    CodeInfo{FaultCode::kUnknownProvider, "UNKNOWN_PROVIDER", 404},
    CodeInfo{FaultCode::kProviderUnreachable, "PROVIDER_UNREACHABLE", 502},
    CodeInfo{FaultCode::kSigningUnavailable, "SIGNING_UNAVAILABLE", 503},
    CodeInfo{FaultCode::kTimestampBacklog, "TIMESTAMP_BACKLOG", 503},
    CodeInfo{FaultCode::kRegisterFailure, "REGISTER_FAILURE", 503},
    CodeInfo{FaultCode::kMalformedMessage, "MALFORMED_MESSAGE", 400},
    CodeInfo{FaultCode::kPeerNotAuthenticated, "PEER_NOT_AUTHENTICATED", 403},
    CodeInfo{FaultCode::kClientNotRegistered, "CLIENT_NOT_REGISTERED", 403},
    CodeInfo{FaultCode::kInvalidEStamp, "INVALID_ESTAMP", 403},
    CodeInfo{FaultCode::kSignerMismatch, "SIGNER_MISMATCH", 403},
    CodeInfo{FaultCode::kCertificateNotGood, "CERTIFICATE_NOT_GOOD", 403},
    CodeInfo{FaultCode::kOcspStale, "OCSP_STALE", 403},
    CodeInfo{FaultCode::kDigestMismatch, "DIGEST_MISMATCH", 403},
    CodeInfo{FaultCode::kReplayedMessage, "REPLAYED_MESSAGE", 409},
    CodeInfo{FaultCode::kMessageTooOld, "MESSAGE_TOO_OLD", 403},
    CodeInfo{FaultCode::kUnknownService, "UNKNOWN_SERVICE", 404},
    CodeInfo{FaultCode::kServiceDisabled, "SERVICE_DISABLED", 503},
    CodeInfo{FaultCode::kAccessDenied, "ACCESS_DENIED", 403},
    CodeInfo{FaultCode::kServiceProtocolMismatch, "SERVICE_PROTOCOL_MISMATCH", 400},
    CodeInfo{FaultCode::kServiceFailed, "SERVICE_FAILED", 502},
    CodeInfo{FaultCode::kInvalidResponse, "INVALID_RESPONSE", 502},
    CodeInfo{FaultCode::kInternalError, "INTERNAL_ERROR", 500},
};

const CodeInfo& info(FaultCode code) {
  for (const auto& c : kCodes) {
    if (c.code == code) return c;
  }
  return kCodes.back();
}

std::optional<FaultSide> parse_side(std::string_view name) {
  for (FaultSide s : {FaultSide::kClientRequest, FaultSide::kClientSide, FaultSide::kProviderSide}) {
    if (fault_side_name(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace

std::string_view fault_side_name(FaultSide side) {
  switch (side) {
    case FaultSide::kClientRequest: return "client-request";
    case FaultSide::kClientSide: return "client-side";
    case FaultSide::kProviderSide: return "provider-side";
  }
  return "client-side";
}

std::string_view fault_code_name(FaultCode code) { return info(code).name; }
int fault_http_status(FaultCode code) { return info(code).http_status; }

std::optional<FaultCode> parse_fault_code(std::string_view name) {
  for (const auto& c : kCodes) {
    if (c.name == name) return c.code;
  }
  return std::nullopt;
}

Fault Fault::make(FaultSide side, FaultCode code, std::string message) {
  Fault f{side, code, std::move(message), crypto::to_hex(crypto::random_bytes(16))};
  log::warn("fault {} {}.{}: {}", f.id, fault_side_name(side), fault_code_name(code), f.message);
  return f;
}

net::HttpResponse Fault::to_response() const {
  nlohmann::json body = {{"error",
                          {{"side", fault_side_name(side)},
                           {"code", fault_code_name(code)},
                           {"message", message},
                           {"fault_id", id}}}};
  net::HttpResponse r = net::HttpResponse::make(
      fault_http_status(code), "application/json",
      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  r.headers.emplace_back("X-Xacbe-Error", std::string(fault_side_name(side)) + "." + std::string(fault_code_name(code)));
  return r;
}

std::optional<Fault> Fault::from_response(const net::HttpResponse& response) {
  if (response.header("X-Xacbe-Error").empty()) return std::nullopt;
  auto json = config::parse_json_strict(response.body);
  if (!json.is_ok() || !json->is_object() || !json->contains("error")) return std::nullopt;
  const auto& e = (*json)["error"];
  if (!e.is_object()) return std::nullopt;
  auto text = [&](const char* key) -> std::optional<std::string> {
    auto it = e.find(key);
    if (it == e.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto side = text("side");
  auto code = text("code");
  auto message = text("message");
  auto id = text("fault_id");
  if (!side || !code || !message || !id) return std::nullopt;
  auto parsed_side = parse_side(*side);
  auto parsed_code = parse_fault_code(*code);
  if (!parsed_side || !parsed_code) return std::nullopt;
  return Fault{*parsed_side, *parsed_code, log::bounded(*message, 512), log::bounded(*id, 64)};
}

}  // namespace xacbe::ss
