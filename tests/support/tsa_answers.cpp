#include "support/tsa_answers.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>

#include <stdexcept>

#include "xacbe/crypto/encoding.hpp"
#include "xacbe/crypto/asn1.hpp"
#include "support/openssl_checks.hpp"
#include "xacbe/crypto/openssl_ptr.hpp"

namespace xacbe::testing {
namespace {

void flip_last_byte(ASN1_STRING* s) {
  const int n = ASN1_STRING_length(s);
  require(n > 0, "empty string");
  std::string bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(n));
  bytes.back() = static_cast<char>(bytes.back() ^ 0x01);
  require(ASN1_STRING_set(s, bytes.data(), n) == 1, "ASN1_STRING_set");
}

// The request as the TSA gets it after the changes `answer` asks for.
crypto::TS_REQPtr changed_request(std::string_view der, const TsaAnswer& answer) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  crypto::TS_REQPtr asked(d2i_TS_REQ(nullptr, &p, static_cast<long>(der.size())));
  require(asked != nullptr, "d2i_TS_REQ");
  crypto::TS_REQPtr out(TS_REQ_new());
  require(out && TS_REQ_set_version(out.get(), 1) == 1 &&
              TS_REQ_set_msg_imprint(out.get(), TS_REQ_get_msg_imprint(asked.get())) == 1 &&
              TS_REQ_set_cert_req(out.get(), answer.without_certificates ? 0 : TS_REQ_get_cert_req(asked.get())) == 1,
          "copy TS_REQ");
  if (TS_REQ_get_policy_id(asked.get()) != nullptr && !answer.other_policy) {
    require(TS_REQ_set_policy_id(out.get(), TS_REQ_get_policy_id(asked.get())) == 1, "policy");
  }
  if (answer.other_imprint) flip_last_byte(TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(out.get())));
  switch (answer.nonce) {
    case TsaAnswer::Nonce::kEcho:
      if (TS_REQ_get_nonce(asked.get()) != nullptr) {
        require(TS_REQ_set_nonce(out.get(), TS_REQ_get_nonce(asked.get())) == 1, "nonce");
      }
      break;
    case TsaAnswer::Nonce::kOmit:
      break;
    case TsaAnswer::Nonce::kOther: {
      crypto::ASN1_INTEGERPtr other(ASN1_INTEGER_new());
      require(other && ASN1_INTEGER_set(other.get(), 7) == 1 && TS_REQ_set_nonce(out.get(), other.get()) == 1, "nonce");
      break;
    }
  }
  return out;
}

ASN1_INTEGER* serial_cb(TS_RESP_CTX*, void* data) {
  ASN1_INTEGER* serial = ASN1_INTEGER_new();
  ASN1_INTEGER_set(serial, static_cast<const TsaAnswer*>(data)->serial);
  return serial;
}

int time_cb(TS_RESP_CTX* ctx, void* data, long* sec, long* usec) {
  const auto* answer = static_cast<const TsaAnswer*>(data);
  if (answer->reject_with >= 0) {
    TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "Refused by the test.");
    TS_RESP_CTX_add_failure_info(ctx, answer->reject_with);
    return 0;
  }
  *sec = static_cast<long>(answer->gen_time.time_since_epoch().count());
  *usec = 250000;  // fractions of a second are dropped by the client
  return 1;
}

std::string bare_response(int status) {
  crypto::TS_RESPPtr resp(TS_RESP_new());
  TS_STATUS_INFO* info = TS_STATUS_INFO_new();
  require(resp && info && TS_STATUS_INFO_set_status(info, status) == 1, "status");
  const int ok = TS_RESP_set_status_info(resp.get(), info);  // copies
  TS_STATUS_INFO_free(info);
  require(ok == 1, "TS_RESP_set_status_info");
  return encode(i2d_TS_RESP, static_cast<const TS_RESP*>(resp.get()));
}

}  // namespace

std::string changed_timestamp_request(std::string_view request, const TsaAnswer& answer) {
  crypto::TS_REQPtr changed = changed_request(request, answer);
  return encode(i2d_TS_REQ, static_cast<const TS_REQ*>(changed.get()));
}

std::string make_timestamp_response(std::string_view request, const crypto::Certificate& cert,
                                    const crypto::PrivateKey& key, const std::vector<crypto::Certificate>& chain,
                                    const TsaAnswer& answer) {
  if (answer.bare_status >= 0) return bare_response(answer.bare_status);
  const std::string changed_der = changed_timestamp_request(request, answer);

  crypto::TS_RESP_CTXPtr ctx(TS_RESP_CTX_new());
  crypto::ASN1_OBJECTPtr policy(OBJ_txt2obj(answer.default_policy.c_str(), 1));
  crypto::X509StackPtr certs = crypto::to_stack(chain);
  require(ctx && policy && TS_RESP_CTX_set_signer_cert(ctx.get(), cert.get()) == 1 &&
              TS_RESP_CTX_set_signer_key(ctx.get(), key.get()) == 1 &&
              TS_RESP_CTX_set_signer_digest(ctx.get(), EVP_sha256()) == 1 &&
              TS_RESP_CTX_set_ess_cert_id_digest(ctx.get(), EVP_sha256()) == 1 &&
              TS_RESP_CTX_set_def_policy(ctx.get(), policy.get()) == 1 &&
              TS_RESP_CTX_set_certs(ctx.get(), reinterpret_cast<STACK_OF(X509)*>(certs.get())) == 1 &&
              TS_RESP_CTX_set_accuracy(ctx.get(), answer.accuracy_seconds, answer.accuracy_millis,
                                       answer.accuracy_micros) == 1 &&
              TS_RESP_CTX_set_clock_precision_digits(ctx.get(), 3) == 1 &&
              TS_RESP_CTX_add_md(ctx.get(), EVP_sha256()) == 1 && TS_RESP_CTX_add_md(ctx.get(), EVP_sha384()) == 1 &&
              TS_RESP_CTX_add_md(ctx.get(), EVP_sha512()) == 1,
          "configure TS_RESP_CTX");
  for (const std::string& oid : answer.other_policies) {
    crypto::ASN1_OBJECTPtr other(OBJ_txt2obj(oid.c_str(), 1));
    require(other && TS_RESP_CTX_add_policy(ctx.get(), other.get()) == 1, "policy");
  }
  TS_RESP_CTX_set_serial_cb(ctx.get(), &serial_cb, const_cast<TsaAnswer*>(&answer));
  TS_RESP_CTX_set_time_cb(ctx.get(), &time_cb, const_cast<TsaAnswer*>(&answer));

  crypto::BIOPtr in(BIO_new_mem_buf(changed_der.data(), static_cast<int>(changed_der.size())));
  crypto::TS_RESPPtr resp(TS_RESP_create_response(ctx.get(), in.get()));
  require(resp != nullptr, "TS_RESP_create_response");
  if (answer.corrupt_signature) {
    PKCS7* token = TS_RESP_get_token(resp.get());
    require(token != nullptr, "no token to corrupt");
    PKCS7_SIGNER_INFO* signer = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(token), 0);
    flip_last_byte(signer->enc_digest);
  }
  return encode(i2d_TS_RESP, static_cast<const TS_RESP*>(resp.get()));
}

}  // namespace xacbe::testing
