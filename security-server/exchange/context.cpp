#include "exchange/context.hpp"

#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ss {

// The callables are named locals, not temporaries of the co_await expressions: see
// net::await_completion.
net::Task<Result<std::string>> sign_message(BatchSigner& signer, StampContent content, std::string ocsp_der) {
  auto start = [&signer, content = std::move(content), der = std::move(ocsp_der)](auto done) mutable {
    signer.submit(std::move(content), std::move(der), std::move(done));
  };
  co_return co_await net::await_completion<Result<std::string>>(std::move(start));
}

net::Task<Result<RecordRef>> log_record(QueryRegister& query_register, RecordInput record) {
  auto start = [&query_register, record = std::move(record)](auto done) mutable {
    query_register.append(std::move(record), std::move(done));
  };
  co_return co_await net::await_completion<Result<RecordRef>>(std::move(start));
}

EStampTrust estamp_trust(const globalconf::GlobalConfiguration& configuration) {
  const auto& ca = configuration.content().ca;
  return EStampTrust{ca.certificate, ca.ocsp_responder_certificates, configuration.settings().ocsp_freshness};
}

std::vector<StampedPart> message_parts(std::string_view head, std::string_view body) {
  return {{"head", crypto::sha256(head)}, {"body", crypto::sha256(body)}};
}

}  // namespace xacbe::ss
