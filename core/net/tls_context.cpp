#include "xacbe/net/tls_context.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ssl/context.hpp>
#include <atomic>
#include <mutex>


namespace xacbe::net {

namespace ssl = boost::asio::ssl;

namespace {

// One set of identity and roots. The verify callback points into `options`, so a generation lives
// as long as any connection made from it.
struct Generation {
  explicit Generation(ssl::context::method method, TlsOptions o) : ctx(method), options(std::move(o)) {}
  ssl::context ctx;
  TlsOptions options;
};

Status configure(Generation& g, bool server) {
  SSL_CTX* native = g.ctx.native_handle();
  const TlsOptions& options = g.options;
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                  SSL_OP_NO_TICKET);
  // TLS 1.2 only with forward-secret AEAD suites; TLS 1.3 suites are all acceptable.
  SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20");
  if (server) {
    // No resumption: every connection makes a full handshake, so every peer's certificate is
    // verified (and peer_check asked) on every connection.
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(native, 0);
  }
  if (options.certificate) {
    if (!options.key) return invalid_argument("TLS certificate given without its key");
    if (SSL_CTX_use_certificate(native, options.certificate->get()) != 1 ||
        SSL_CTX_use_PrivateKey(native, options.key->get()) != 1 || SSL_CTX_check_private_key(native) != 1) {
      return invalid_argument(crypto::openssl_error("TLS key does not match certificate"));
    }
    for (const auto& c : options.chain) {
      if (SSL_CTX_add1_chain_cert(native, c.get()) != 1) return internal_error(crypto::openssl_error("chain"));
    }
  } else if (server) {
    return invalid_argument("a TLS server needs a certificate and key");
  }
  if (!options.trusted.empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(native);
    for (const auto& root : options.trusted) {
      if (X509_STORE_add_cert(store, root.get()) != 1) return internal_error(crypto::openssl_error("trusted root"));
    }
    int mode = SSL_VERIFY_PEER;
    if (server) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(native, mode, nullptr);
  } else if (!server) {
    return invalid_argument("a TLS client needs trusted roots to verify the server");
  } else if (options.accept_unchained_client_certificate) {
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_cert_verify_callback(native, [](X509_STORE_CTX*, void*) -> int { return 1; }, nullptr);
  }
  if (options.accept_unchained_client_certificate && (!server || !options.trusted.empty())) {
    return invalid_argument("accept_unchained_client_certificate is for a server without trusted roots");
  }
  if (options.peer_check) {
    // Runs after chain verification, on the leaf only.
    SSL_CTX_set_cert_verify_callback(
        native,
        [](X509_STORE_CTX* store_ctx, void* arg) -> int {
          if (X509_verify_cert(store_ctx) != 1) return 0;
          auto* self = static_cast<const TlsOptions*>(arg);
          X509* leaf = X509_STORE_CTX_get0_cert(store_ctx);
          bool accepted = false;
          try {  // never unwind through OpenSSL
            accepted = self->peer_check(crypto::Certificate::share(leaf)).is_ok();
          } catch (...) {
          }
          if (accepted) return 1;
          X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_APPLICATION_VERIFICATION);
          return 0;
        },
        const_cast<TlsOptions*>(&options));
  }
  return Status::ok();
}

}  // namespace

std::string PeerExpectation::key() const {
  std::string out;
  for (const auto& p : pinned) out += p + ",";
  return out;
}

// Each generation of each context gets its own number, for pool keys.
std::atomic<std::uint64_t> next_generation_id{1};

struct TlsContext::Impl {
  bool server = false;
  mutable std::mutex mu;
  std::shared_ptr<Generation> current;  // guarded by mu
  std::uint64_t generation_id = 0;      // guarded by mu

  Result<std::shared_ptr<Generation>> build(TlsOptions options) const {
    auto g = std::make_shared<Generation>(server ? ssl::context::tls_server : ssl::context::tls_client,
                                          std::move(options));
    XACBE_RETURN_IF_ERROR(configure(*g, server));
    return g;
  }
};

TlsContext::TlsContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsContext::~TlsContext() = default;

Result<std::shared_ptr<TlsContext>> TlsContext::create_server(TlsOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->server = true;
  std::shared_ptr<TlsContext> ctx(new TlsContext(std::move(impl)));
  XACBE_RETURN_IF_ERROR(ctx->reload(std::move(options)));
  return ctx;
}

Result<std::shared_ptr<TlsContext>> TlsContext::create_client(TlsOptions options) {
  std::shared_ptr<TlsContext> ctx(new TlsContext(std::make_unique<Impl>()));
  XACBE_RETURN_IF_ERROR(ctx->reload(std::move(options)));
  return ctx;
}

Status TlsContext::reload(TlsOptions options) {
  XACBE_ASSIGN_OR_RETURN(auto generation, impl_->build(std::move(options)));
  std::lock_guard lock(impl_->mu);
  impl_->current = std::move(generation);
  impl_->generation_id = next_generation_id.fetch_add(1);
  return Status::ok();
}

bool TlsContext::requires_peer_certificate() const {
  std::lock_guard lock(impl_->mu);
  return !impl_->current->options.trusted.empty();
}

bool TlsContext::is_server() const { return impl_->server; }

std::uint64_t TlsContext::generation_id() const {
  std::lock_guard lock(impl_->mu);
  return impl_->generation_id;
}

std::shared_ptr<void> TlsContext::current() const {
  std::lock_guard lock(impl_->mu);
  // Aliasing: the pointer is the Asio context, the ownership the whole generation.
  return std::shared_ptr<void>(impl_->current, &impl_->current->ctx);
}

}  // namespace xacbe::net
