#pragma once
// The JSON of the admin APIs (include/xacbe/api/admin_api.hpp): bodies, answers and the error
// document {"error": {"code", "message"}} every route answers a refusal with.

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "xacbe/net/http.hpp"
#include "xacbe/result.hpp"

namespace xacbe::api {

using Json = nlohmann::json;

// Status codes to HTTP: 400 invalid, 403 denied, 404 unknown, 409 state/duplicate, 503, 504, 500.
int http_status(Code code);
net::HttpResponse json_response(int status, const Json& body);
// {"error": {"code": "...", "message": "..."}}
net::HttpResponse error_response(int status, const std::string& code, const std::string& message);
// kInternal answers internal_error_response(st).
net::HttpResponse error_response(const Status& st);
// 500 INTERNAL without the failure's words, which are logged under a reference the answer gives.
net::HttpResponse internal_error_response(const Status& st);
// The HTTP layer's own refusals (net::ServerOptions::refusal: 400 malformed, 413 body, 431
// header) as error documents: BAD_REQUEST, PAYLOAD_TOO_LARGE, HEADER_TOO_LARGE.
net::HttpResponse http_refusal(int status, const std::string& message);
// 200 with `body` when `st` is ok, the error otherwise.
net::HttpResponse reply(const Status& st, const Json& body);
// The Status an error response carries (for the audit trail); kInternal with the HTTP status when
// the body is not an error document.
Status error_of(const net::HttpResponse& response);

// The body as a JSON object (repeated keys refused), with only `allowed` keys.
Result<Json> object_body(const std::string& body, std::initializer_list<const char*> allowed);
// A strict JSON object body whose `allowed` keys are all strings.
Result<std::map<std::string, std::string>> string_fields(const std::string& body,
                                                         std::initializer_list<const char*> allowed);
// A decimal id in 0..max ("-1" and "+1" are refused; the message quotes at most 24 bytes).
Result<std::int64_t> parse_id(const std::string& text, const std::string& what, std::int64_t max = INT64_MAX / 2);

}  // namespace xacbe::api
