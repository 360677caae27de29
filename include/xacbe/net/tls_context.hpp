#pragma once
// TLS configuration for servers and clients: TLS 1.3 preferred, TLS 1.2 only with ECDHE and AEAD
// suites, no renegotiation, no compression. Peers are verified against `trusted` roots;
// `peer_check` may then refuse a verified peer. A client also checks who it reached, per
// connection: the host name of the URL (subjectAltName, RFC 6125) by default, or, between security
// servers, the pinned SHA-256 fingerprints of the authentication certificates the global
// configuration lists for the expected server.
//
// The own certificate, key and trusted roots can be replaced while running (reload): connections
// opened afterwards use the new ones; open connections finish on the ones they started with.
// Opaque: Asio's SSL context stays in core/net.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
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
  // Server only, instead of `trusted`: ask for a client certificate without requiring one and
  // without chaining it to anything. The handler sees it (HttpRequest::peer_certificate) and
  // decides by its fingerprint: a security server's client interface, where information systems
  // present self-signed certificates that their administrator registered. The handshake still
  // proves that the client holds the certificate's key.
  bool accept_unchained_client_certificate = false;
};

// Whom a client connection must reach. Default: the URL's host, checked against the server
// certificate's subjectAltName (DNS name or IP address). With `pinned`, the server's leaf certificate
// must instead be one of these fingerprints (after chaining to the trusted roots); the host name
// is then not checked, since a security server is named by its registered certificates.
struct PeerExpectation {
  std::vector<std::string> pinned;  // Certificate::sha256_fingerprint() values (lower-case hex)
  // Pool key part: equal expectations may share a kept-alive connection.
  std::string key() const;
};

class TlsContext {
 public:
  static Result<std::shared_ptr<TlsContext>> create_server(TlsOptions options);
  static Result<std::shared_ptr<TlsContext>> create_client(TlsOptions options);
  ~TlsContext();

  // Replaces identity and roots for connections opened from now on; an invalid set is refused
  // and the current one kept.
  Status reload(TlsOptions options);

  bool requires_peer_certificate() const;
  bool is_server() const;
  // Unique to the current identity and roots of this context (changes at every reload).
  std::uint64_t generation_id() const;

  // For core/net: the current generation (a boost::asio::ssl::context), kept alive by whoever
  // holds the pointer.
  std::shared_ptr<void> current() const;

 private:
  struct Impl;
  explicit TlsContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace xacbe::net
