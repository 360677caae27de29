#pragma once
// What the commands that call an admin API share (the central registry's, "xacbe registry ...",
// and a security server's, "xacbe register ..."): where the API is, the bearer token, one request
// and how its answer is printed.
//
// The token comes from --token-file or from the XACBE_TOKEN environment variable, never from an
// argument (other local users can read arguments in the process list). An https:// --url needs
// --ca-file, the root the server's TLS certificate chains to.

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "xacbe/net/http_client.hpp"
#include "xacbe/result.hpp"

namespace xacbe::tools {

inline constexpr const char* kTokenVariable = "XACBE_TOKEN";

// A command's own options: where the API is and how to authenticate to it.
struct Connection {
  std::string url;
  std::string token_file;
  std::string ca_file;
  std::string peer = "the registry";  // how messages name the server, e.g. "no answer from the registry at ..."
};

// One call of the admin API.
struct ApiRequest {
  std::string method;
  std::string target;               // below the base URL: path and query, e.g. /api/v1/members?state=active
  std::optional<std::string> body;  // JSON text
};

// The admin API of one server: base URL, bearer token and the roots its TLS certificate must
// chain to.
class AdminClient {
 public:
  static Result<AdminClient> create(const Connection& connection);
  // The server's answer, whatever its HTTP status; a Status only when no answer came.
  Result<net::HttpResponse> send(const ApiRequest& request) const;

 private:
  AdminClient(std::string base, std::string token, net::ClientOptions options, std::string peer)
      : base_(std::move(base)), token_(std::move(token)), options_(std::move(options)), peer_(std::move(peer)) {}

  std::string base_;  // without a trailing '/'
  std::string token_;
  net::ClientOptions options_;
  std::string peer_;
};

// How a 2xx answer is printed: pretty JSON for a person, or its body byte for byte for a file
// (the configuration anchor, whose exact text security servers are given).
enum class Output { kPretty, kVerbatim };

// Prints "xacbe: <status>" on stderr; returns 1.
int fail(const Status& st);
// A 2xx answer's JSON on stdout as `output` says; anything else on stderr as
// "xacbe: <CODE>: <message>" from the API's error document, or the HTTP status and the first line
// of a body that is not one (e.g. the HTTP layer's plain-text 413). Returns the exit code.
int report_answer(const net::HttpResponse& response, Output output = Output::kPretty);
// Usage errors that depend on more than one option: CLI11 parse errors, exit 2 in main.
void check_usage(const Connection& connection);

using BuildRequest = std::function<Result<ApiRequest>()>;
// One command: build its request (reading any file it names), send it with the token, print the
// answer. Returns the exit code.
int run(const Connection& connection, const BuildRequest& build, Output output = Output::kPretty);

ApiRequest get(std::string target);
ApiRequest post_without_body(std::string target);
// Text from the command line or a file that is not UTF-8 cannot be JSON: refused, not altered.
Result<ApiRequest> post(std::string target, const nlohmann::json& body);
// RFC 3986 3.4: a free-form query value, every byte but the unreserved ones percent-encoded.
std::string query_value(std::string_view value);

// The base URL: http:// or https://, without query or fragment, since API paths are appended.
extern const CLI::Validator kBaseUrl;
// Ids and counts as the APIs' path and query parameters take them: decimal digits only, at most 18
// (so within an int64).
extern const CLI::Validator kNumber;

// --url (its default: connection.url as it stands), --token-file and --ca-file on `command`, into
// `connection`; `what` names the server in the help, e.g. "registry".
void add_connection_options(CLI::App& command, Connection& connection, const std::string& what);

}  // namespace xacbe::tools
