#pragma once
// TLS configuration for servers and clients (TLS 1.2+; 1.3 preferred). Peers are verified against
// `trusted` roots; `peer_check` may then refuse a verified peer (e.g. one whose certificate the
// global configuration does not register). Opaque: Asio's SSL context stays in the .cpp.

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/result.hpp"

namespace xacbe::net {

struct TlsOptions {
  // Own identity: required for a server, optional for a client (mutual TLS).
  std::optional<crypto::Certificate> certificate;
  std::vector<crypto::Certificate> chain;  // intermediates sent after the certificate
  std::shared_ptr<const crypto::PrivateKey> key;
  // Roots that peers must chain to. A server with roots asks for and requires a client certificate.
  std::vector<crypto::Certificate> trusted;
  // Extra decision on a peer that chained successfully; a non-ok Status refuses the handshake.
  std::function<Status(const crypto::Certificate& peer)> peer_check;
};

class TlsContext {
 public:
  static Result<std::shared_ptr<TlsContext>> create_server(TlsOptions options);
  static Result<std::shared_ptr<TlsContext>> create_client(TlsOptions options);
  ~TlsContext();

  bool requires_peer_certificate() const;
  // boost::asio::ssl::context*, for the net module's own use.
  void* native() const;

 private:
  struct Impl;
  explicit TlsContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace xacbe::net
