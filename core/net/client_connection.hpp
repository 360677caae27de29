#pragma once
// Internal to core/net: one outgoing HTTP connection, plain or TLS, that checks who it reached and
// serves one exchange at a time, for the pool (http_client.cpp) and the one-shot client alike.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "xacbe/net/async.hpp"
#include "xacbe/net/http.hpp"
#include "xacbe/net/http_client.hpp"

namespace xacbe::net::detail {

using Deadline = std::chrono::steady_clock::time_point;

class ClientConnection {
 public:
  explicit ClientConnection(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // Resolves, connects and (https) handshakes, checking the host name or the pinned fingerprints.
  Task<Status> open(const Url& url, const ClientOptions& options, Deadline deadline);

  struct Outcome {
    Result<HttpResponse> response = internal_error("no exchange");
    bool reusable = false;         // the connection may serve another request
    bool nothing_received = true;  // failed before any byte of an answer: safe to retry elsewhere
  };
  // How much of an answer is read: ClientOptions' body_limit and header_limit.
  struct Limits {
    std::size_t body;
    std::size_t header;
  };
  // One request and its answer. `keep_alive` asks the server to keep the connection.
  Task<Outcome> exchange(const Url& url, HttpRequest request, Limits limits, Deadline deadline, bool keep_alive);

  bool tls() const { return tls_stream_.has_value(); }
  // For an idle connection: whether the server closed it (or sent something unasked) meanwhile.
  bool looks_closed();
  std::chrono::steady_clock::time_point idle_since;

 private:
  template <typename Stream>
  Task<Outcome> exchange_on(Stream& stream, const Url& url, HttpRequest request, Limits limits, Deadline deadline,
                            bool keep_alive);
  boost::beast::tcp_stream& tcp();

  boost::asio::any_io_executor executor_;
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls_stream_;
  std::shared_ptr<void> tls_generation_;  // the SSL context this connection was made with
  std::vector<std::string> pinned_;       // read by the verify callback during the handshake
  std::string seen_fingerprint_;          // written by it on a mismatch
  boost::beast::flat_buffer buffer_{256 * 1024};  // bounds an answer's header, chunk lines and trailer
};

}  // namespace xacbe::net::detail
