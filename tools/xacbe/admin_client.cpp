#include "admin_client.hpp"

#include <cstdlib>
#include <iostream>
#include <utility>

#include "terminal.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/file.hpp"

namespace xacbe::tools {
namespace {

using Json = nlohmann::json;

// RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_b64token(std::string_view token) {
  const std::size_t last = token.find_last_not_of('=');
  if (last == std::string_view::npos) return false;
  for (const char c : token.substr(0, last + 1)) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("-._~+/").find(c) == std::string_view::npos) return false;
  }
  return true;
}

// The bearer token from --token-file, else from $XACBE_TOKEN. Whitespace around it (the file's
// final newline) is not part of it. No message shows the token.
Result<std::string> read_token(const std::string& token_file) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read before any thread starts
  const char* from_environment = std::getenv(kTokenVariable);
  std::string token, origin;
  if (!token_file.empty()) {
    XACBE_ASSIGN_OR_RETURN(token, read_file(token_file));
    origin = "the token file " + token_file;
  } else if (from_environment != nullptr) {
    token = from_environment;
    origin = std::string("$") + kTokenVariable;
  } else {
    return invalid_argument(std::string("no API token: give --token-file or set ") + kTokenVariable);
  }
  constexpr std::string_view kSpace = " \t\r\n";
  const std::size_t first = token.find_first_not_of(kSpace);
  token = first == std::string::npos ? "" : token.substr(first, token.find_last_not_of(kSpace) + 1 - first);
  if (!is_b64token(token)) return invalid_argument(origin + " does not hold one bearer token (RFC 6750 b64token)");
  return token;
}

std::string string_member(const Json& object, const char* key) {
  return object.contains(key) && object[key].is_string() ? object[key].get<std::string>() : std::string();
}

}  // namespace

Result<AdminClient> AdminClient::create(const Connection& connection) {
  XACBE_ASSIGN_OR_RETURN(net::Url url, net::parse_url(connection.url));
  net::ClientOptions options;
  if (url.tls) {
    net::TlsOptions tls;
    XACBE_ASSIGN_OR_RETURN(tls.trusted, crypto::load_certificates(connection.ca_file));
    XACBE_ASSIGN_OR_RETURN(options.tls, net::TlsContext::create_client(std::move(tls)));
  }
  XACBE_ASSIGN_OR_RETURN(std::string token, read_token(connection.token_file));
  std::string base = connection.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return AdminClient(std::move(base), std::move(token), std::move(options), connection.peer);
}

Result<net::HttpResponse> AdminClient::send(const ApiRequest& request) const {
  net::HttpRequest http;
  http.method = request.method;
  http.headers = {{"Authorization", "Bearer " + token_}, {"Accept", "application/json"}};
  if (request.body) {
    http.headers.emplace_back("Content-Type", "application/json");
    http.body = *request.body;
  }
  auto response = net::http_request(base_ + request.target, std::move(http), options_);
  if (!response) {
    return Status(response.status().code(),
                  "no answer from " + peer_ + " at " + base_ + ": " + response.status().message());
  }
  return response;
}

int fail(const Status& st) {
  std::cerr << "xacbe: " << printable(st.to_string()) << "\n";
  return 1;
}

int report_answer(const net::HttpResponse& response, Output output) {
  const Json body = Json::parse(response.body, nullptr, false);
  const bool success = response.status >= 200 && response.status < 300;
  if (success && !body.is_discarded()) {
    if (output == Output::kVerbatim) {
      std::cout << response.body;
    } else {
      std::cout << body.dump(2) << "\n";
    }
    return 0;
  }
  if (!success && body.is_object() && body.contains("error") && body["error"].is_object()) {
    const std::string code = string_member(body["error"], "code");
    if (!code.empty()) {
      std::cerr << "xacbe: " << printable(code) << ": " << printable(string_member(body["error"], "message")) << "\n";
      return 1;
    }
  }
  const std::string line = response.body.substr(0, std::min<std::size_t>(response.body.find('\n'), 200));
  std::cerr << "xacbe: HTTP " << response.status << ": "
            << (line.empty() ? std::string("the answer is not JSON") : printable(line)) << "\n";
  return 1;
}

void check_usage(const Connection& connection) {
  const auto url = net::parse_url(connection.url);
  if (url && url->tls && connection.ca_file.empty()) {
    throw CLI::ValidationError("--ca-file", "an https:// --url needs --ca-file, the CEIQROO root certificate (PEM)");
  }
}

int run(const Connection& connection, const BuildRequest& build, Output output) {
  check_usage(connection);
  auto request = build();
  if (!request) return fail(request.status());
  auto client = AdminClient::create(connection);
  if (!client) return fail(client.status());
  auto response = client->send(*request);
  if (!response) return fail(response.status());
  return report_answer(*response, output);
}

ApiRequest get(std::string target) {
  return {"GET", std::move(target), std::nullopt};
}
ApiRequest post_without_body(std::string target) {
  return {"POST", std::move(target), std::nullopt};
}

Result<ApiRequest> post(std::string target, const Json& body) {
  try {
    return ApiRequest{"POST", std::move(target), body.dump()};
  } catch (const Json::exception& e) {
    return invalid_argument(std::string("the request cannot be sent as JSON: ") + e.what());
  }
}

std::string query_value(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

const CLI::Validator kBaseUrl(
    [](const std::string& text) -> std::string {
      if (text.find_first_of("?#") != std::string::npos) return "'" + printable(text) + "' has a query or fragment";
      auto url = net::parse_url(text);
      return url ? std::string() : printable(url.status().message());
    },
    "URL");

const CLI::Validator kNumber(
    [](const std::string& text) -> std::string {
      if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
        return "'" + printable(text) + "' is not a number (decimal digits, at most 18)";
      }
      return {};
    },
    "N");

void add_connection_options(CLI::App& command, Connection& connection, const std::string& what) {
  command.add_option("--url", connection.url, "base URL of the " + what)->capture_default_str()->check(kBaseUrl);
  command.add_option(
      "--token-file", connection.token_file,
      std::string("file holding the API token (default: the ") + kTokenVariable + " environment variable)");
  command.add_option("--ca-file", connection.ca_file, "root certificate(s) of an https:// " + what + " (PEM)");
}

}  // namespace xacbe::tools
