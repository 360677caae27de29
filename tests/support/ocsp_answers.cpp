#include "support/ocsp_answers.hpp"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "xacbe/crypto/asn1.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "support/openssl_checks.hpp"
#include "xacbe/crypto/openssl_ptr.hpp"

namespace xacbe::testing {
namespace {

crypto::ASN1_TIMEPtr generalized(std::chrono::sys_seconds t) {
  crypto::ASN1_TIMEPtr out(ASN1_GENERALIZEDTIME_set(nullptr, static_cast<time_t>(t.time_since_epoch().count())));
  require(out != nullptr, "GeneralizedTime");
  return out;
}

void flip_last_byte(ASN1_OCTET_STRING* s) {
  const int n = ASN1_STRING_length(s);
  require(n > 0, "empty string");
  std::string bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(n));
  bytes.back() = static_cast<char>(bytes.back() ^ 0x01);
  require(ASN1_STRING_set(s, bytes.data(), n) == 1, "ASN1_STRING_set");
}

// The request's first CertID, changed as `answer` asks.
crypto::OCSP_CERTIDPtr answer_cert_id(OCSP_REQUEST* request, const OcspAnswer& answer) {
  require(OCSP_request_onereq_count(request) > 0, "request without CertID");
  OCSP_CERTID* asked = OCSP_onereq_get0_id(OCSP_request_onereq_get0(request, 0));
  crypto::OCSP_CERTIDPtr id(OCSP_CERTID_dup(asked));
  require(id != nullptr, "OCSP_CERTID_dup");
  ASN1_OCTET_STRING* name_hash = nullptr;
  ASN1_OCTET_STRING* key_hash = nullptr;
  ASN1_INTEGER* serial = nullptr;
  require(OCSP_id_get0_info(&name_hash, nullptr, &key_hash, &serial, id.get()) == 1, "OCSP_id_get0_info");
  if (answer.other_issuer_name_hash) flip_last_byte(name_hash);
  if (answer.other_issuer_key_hash) flip_last_byte(key_hash);
  if (answer.other_serial) {
    crypto::BIGNUMPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
    require(bn && BN_add_word(bn.get(), 1) == 1 && BN_to_ASN1_INTEGER(bn.get(), serial) != nullptr, "serial");
  }
  if (answer.cert_id_sha1) {
    // The request's SHA-256 hashes under a SHA-1 label: the client must look at the algorithm.
    crypto::X509_NAMEPtr placeholder(X509_NAME_new());
    crypto::OCSP_CERTIDPtr relabelled(OCSP_cert_id_new(EVP_sha1(), placeholder.get(), key_hash, serial));
    require(relabelled != nullptr, "OCSP_cert_id_new");
    ASN1_OCTET_STRING* new_name = nullptr;
    ASN1_OCTET_STRING* new_key = nullptr;
    require(OCSP_id_get0_info(&new_name, nullptr, &new_key, nullptr, relabelled.get()) == 1, "info");
    require(ASN1_STRING_copy(new_name, name_hash) == 1 && ASN1_STRING_copy(new_key, key_hash) == 1, "copy");
    return relabelled;
  }
  return id;
}

void add_unknown_critical_extension(OCSP_BASICRESP* basic) {
  crypto::ASN1_OBJECTPtr oid(OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1));
  crypto::ASN1_OCTET_STRINGPtr value(ASN1_OCTET_STRING_new());
  require(
      oid && value && ASN1_OCTET_STRING_set(value.get(), reinterpret_cast<const unsigned char*>("\x05\x00"), 2) == 1,
      "extension value");
  crypto::X509_EXTENSIONPtr ext(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 1, value.get()));
  require(ext && OCSP_BASICRESP_add_ext(basic, ext.get(), -1) == 1, "OCSP_BASICRESP_add_ext");
}

}  // namespace

std::string make_ocsp_response(std::string_view request_der, const crypto::Certificate& signer_cert,
                               const crypto::PrivateKey& signer_key, const OcspAnswer& answer) {
  if (answer.response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    crypto::OCSP_RESPONSEPtr response(OCSP_response_create(answer.response_status, nullptr));
    require(response != nullptr, "OCSP_response_create");
    return encode(i2d_OCSP_RESPONSE, static_cast<const OCSP_RESPONSE*>(response.get()));
  }
  const auto* p = reinterpret_cast<const unsigned char*>(request_der.data());
  crypto::OCSP_REQUESTPtr request(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(request_der.size())));
  require(request != nullptr, "d2i_OCSP_REQUEST");

  crypto::OCSP_BASICRESPPtr basic(OCSP_BASICRESP_new());
  crypto::OCSP_CERTIDPtr id = answer_cert_id(request.get(), answer);
  crypto::ASN1_TIMEPtr this_update = generalized(answer.this_update);
  crypto::ASN1_TIMEPtr next_update = answer.next_update ? generalized(*answer.next_update) : nullptr;
  crypto::ASN1_TIMEPtr revoked_at = generalized(answer.revoked_at);
  require(OCSP_basic_add1_status(basic.get(), id.get(), answer.cert_status, answer.reason,
                                 answer.cert_status == V_OCSP_CERTSTATUS_REVOKED ? revoked_at.get() : nullptr,
                                 this_update.get(), next_update.get()) != nullptr,
          "OCSP_basic_add1_status");
  switch (answer.nonce) {
    case OcspAnswer::Nonce::kEcho:
      require(OCSP_copy_nonce(basic.get(), request.get()) > 0, "OCSP_copy_nonce");
      break;
    case OcspAnswer::Nonce::kOmit:
      break;
    case OcspAnswer::Nonce::kOther: {
      std::string other = crypto::random_bytes(32);
      require(OCSP_basic_add1_nonce(basic.get(), reinterpret_cast<unsigned char*>(other.data()), 32) == 1, "nonce");
      break;
    }
  }
  if (answer.unknown_critical_extension) add_unknown_critical_extension(basic.get());

  // producedAt from the answer, not from the system clock (OCSP_NOTIME keeps it).
  auto* produced = const_cast<ASN1_GENERALIZEDTIME*>(OCSP_resp_get0_produced_at(basic.get()));
  require(produced != nullptr &&
              ASN1_GENERALIZEDTIME_set(produced, static_cast<time_t>(answer.produced_at.time_since_epoch().count())),
          "producedAt");
  unsigned long flags = OCSP_NOTIME;
  if (answer.responder_id_by_key) flags |= OCSP_RESPID_KEY;
  if (!answer.include_signer_certificate) flags |= OCSP_NOCERTS;
  require(OCSP_basic_sign(basic.get(), signer_cert.get(), signer_key.get(), EVP_sha256(), nullptr, flags) == 1,
          "OCSP_basic_sign");
  if (answer.corrupt_signature) {
    flip_last_byte(const_cast<ASN1_OCTET_STRING*>(OCSP_resp_get0_signature(basic.get())));
  }
  crypto::OCSP_RESPONSEPtr response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  require(response != nullptr, "OCSP_response_create");
  return encode(i2d_OCSP_RESPONSE, static_cast<const OCSP_RESPONSE*>(response.get()));
}

std::string ocsp_request_of(const std::string& url, const net::HttpRequest& request) {
  if (request.method == "POST") return request.body;
  const std::string segment = url.substr(url.rfind('/') + 1);
  std::string base64;
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '%' && i + 2 < segment.size()) {
      auto byte = crypto::from_hex(segment.substr(i + 1, 2));
      if (!byte) throw std::runtime_error("bad percent-encoding in " + url);
      base64 += *byte;
      i += 2;
    } else {
      base64.push_back(segment[i]);
    }
  }
  auto der = crypto::base64_decode(base64);
  if (!der) throw std::runtime_error("GET path is not base64: " + der.status().to_string());
  return *der;
}

}  // namespace xacbe::testing
