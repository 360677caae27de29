#include "xacbe/crypto/fetch.hpp"

#include <cctype>
#include <utility>

namespace xacbe::crypto {

Fetch http_fetch(net::ClientOptions options) {
  return [options = std::move(options)](const std::string& url, net::HttpRequest request) {
    return net::http_request(url, std::move(request), options);
  };
}

Fetch pooled_fetch(std::shared_ptr<net::HttpClient> client, net::ClientOptions options) {
  return [client = std::move(client), options = std::move(options)](const std::string& url, net::HttpRequest request) {
    return client->request_blocking(url, std::move(request), options);
  };
}

std::string media_type(const net::HttpResponse& response) {
  const std::string value = response.header("Content-Type");
  std::string out;
  for (char c : value.substr(0, value.find(';'))) {
    if (c != ' ' && c != '\t') out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace xacbe::crypto
