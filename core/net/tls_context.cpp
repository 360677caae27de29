#include "xacbe/net/tls_context.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ssl/context.hpp>

namespace xacbe::net {

namespace ssl = boost::asio::ssl;

struct TlsContext::Impl {
  explicit Impl(ssl::context::method method) : ctx(method) {}
  ssl::context ctx;
  TlsOptions options;
};

namespace {

Status configure(ssl::context& ctx, const TlsOptions& options, bool server) {
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // TLS 1.2 only with forward-secret AEAD suites; TLS 1.3 suites are all acceptable.
  SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20");
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
    for (const auto& root : options.trusted) X509_STORE_add_cert(store, root.get());
    int mode = SSL_VERIFY_PEER;
    if (server) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(native, mode, nullptr);
  } else if (!server) {
    return invalid_argument("a TLS client needs trusted roots to verify the server");
  }
  if (options.peer_check) {
    // Runs after chain verification, on the leaf only.
    SSL_CTX_set_cert_verify_callback(
        native,
        [](X509_STORE_CTX* store_ctx, void* arg) -> int {
          if (X509_verify_cert(store_ctx) != 1) return 0;
          auto* self = static_cast<const TlsOptions*>(arg);
          X509* leaf = X509_STORE_CTX_get0_cert(store_ctx);
          if (self->peer_check(crypto::Certificate::share(leaf)).is_ok()) return 1;
          X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_APPLICATION_VERIFICATION);
          return 0;
        },
        const_cast<TlsOptions*>(&options));
  }
  return Status::ok();
}

}  // namespace

TlsContext::TlsContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsContext::~TlsContext() = default;

Result<std::shared_ptr<TlsContext>> TlsContext::create_server(TlsOptions options) {
  auto impl = std::make_unique<Impl>(ssl::context::tls_server);
  impl->options = std::move(options);
  std::shared_ptr<TlsContext> ctx(new TlsContext(std::move(impl)));
  XACBE_RETURN_IF_ERROR(configure(ctx->impl_->ctx, ctx->impl_->options, true));
  return ctx;
}

Result<std::shared_ptr<TlsContext>> TlsContext::create_client(TlsOptions options) {
  auto impl = std::make_unique<Impl>(ssl::context::tls_client);
  impl->options = std::move(options);
  std::shared_ptr<TlsContext> ctx(new TlsContext(std::move(impl)));
  XACBE_RETURN_IF_ERROR(configure(ctx->impl_->ctx, ctx->impl_->options, false));
  return ctx;
}

bool TlsContext::requires_peer_certificate() const { return !impl_->options.trusted.empty(); }
void* TlsContext::native() const { return &impl_->ctx; }

}  // namespace xacbe::net
