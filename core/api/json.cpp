#include "xacbe/api/json.hpp"

#include <algorithm>
#include <atomic>

#include "xacbe/config/strict_json.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::api {

int http_status(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition: return 409;
    case Code::kUnavailable: return 503;
    case Code::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

net::HttpResponse json_response(int status, const Json& body) {
  // Replacing, not throwing: a byte that is not UTF-8 (stored before the door checked it, say)
  // must not turn every later read of it into a failure.
  std::string text = body.dump(2, ' ', false, Json::error_handler_t::replace);
  text.push_back('\n');
  return net::HttpResponse::make(status, "application/json", std::move(text));
}

net::HttpResponse error_response(int status, const std::string& code, const std::string& message) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}}}});
}

net::HttpResponse error_response(const Status& st) {
  if (st.code() == Code::kInternal) return internal_error_response(st);
  return error_response(http_status(st.code()), code_name(st.code()), st.message());
}

net::HttpResponse internal_error_response(const Status& st) {
  // What failed inside (a library's or the database's words) is for the operator's log; the caller
  // gets a reference to find it there.
  static std::atomic<std::uint64_t> next_reference{1};
  const std::uint64_t reference = next_reference++;
  log::error("internal error (reference {}): {}", reference, st.to_string());
  return error_response(500, code_name(Code::kInternal),
                        "internal error; the service's log has the details under reference " +
                            std::to_string(reference));
}

net::HttpResponse http_refusal(int status, const std::string& message) {
  const char* code = status == 413 ? "PAYLOAD_TOO_LARGE" : status == 431 ? "HEADER_TOO_LARGE" : "BAD_REQUEST";
  return error_response(status, code, message);
}

net::HttpResponse reply(const Status& st, const Json& body) {
  return st.is_ok() ? json_response(200, body) : error_response(st);
}

Status error_of(const net::HttpResponse& response) {
  const Json j = Json::parse(response.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const std::string name = j["error"].value("code", "");
    const std::string message = j["error"].value("message", "");
    for (int c = static_cast<int>(Code::kInvalidArgument); c <= static_cast<int>(Code::kInternal); ++c) {
      if (name == code_name(static_cast<Code>(c))) return {static_cast<Code>(c), message};
    }
    // HTTP-level codes (UNSUPPORTED_MEDIA_TYPE, ...) have no Status code of their own.
    if (!name.empty()) return invalid_argument(name + ": " + message);
  }
  return internal_error("HTTP " + std::to_string(response.status));
}

Result<Json> object_body(const std::string& body, std::initializer_list<const char*> allowed) {
  auto parsed = config::parse_json_strict(body);
  if (!parsed) return invalid_argument("the body is not JSON: " + parsed.status().message());
  if (!parsed->is_object()) return invalid_argument("the body must be a JSON object");
  for (auto& [key, value] : parsed->items()) {
    if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; }) == allowed.end()) {
      return invalid_argument("unknown field '" + excerpt(key) + "'");
    }
  }
  return std::move(parsed).value();
}

Result<std::map<std::string, std::string>> string_fields(const std::string& body,
                                                         std::initializer_list<const char*> allowed) {
  XACBE_ASSIGN_OR_RETURN(Json j, object_body(body, allowed));
  std::map<std::string, std::string> out;
  for (auto& [key, value] : j.items()) {
    if (!value.is_string()) return invalid_argument("field '" + excerpt(key) + "' must be a string");
    out[key] = value.get<std::string>();
  }
  return out;
}

Result<std::int64_t> parse_id(const std::string& text, const std::string& what, std::int64_t max) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
    return invalid_argument(what + " must be a whole number from 0 to " + std::to_string(max) + ", not '" +
                            excerpt(text, 24) + "'");
  }
  const std::int64_t v = std::stoll(text);
  if (v > max) return invalid_argument(what + " must be a whole number from 0 to " + std::to_string(max));
  return v;
}

}  // namespace xacbe::api
