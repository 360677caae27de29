// Receiving a management request (docs/protocol/management-requests.md, "Checks, in order"): the
// verification of its signature, signer, freshness and request id, after the shared parser
// (management::parse_request) has read it.
#include "request_verification.hpp"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>

#include "xacbe/ca/certificate_authority.hpp"
#include "xacbe/crypto/cms.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

// The certificate of the single signer of a CMS SignedData, as embedded in it.
Result<crypto::Certificate> embedded_signer(std::string_view cms_der) {
  const auto* p = reinterpret_cast<const unsigned char*>(cms_der.data());
  crypto::CMS_ContentInfoPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(cms_der.size())));
  if (!cms || p != reinterpret_cast<const unsigned char*>(cms_der.data()) + cms_der.size() ||
      OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    return invalid_argument(crypto::openssl_error("signature is not a DER CMS SignedData"));
  }
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  if (sk_CMS_SignerInfo_num(infos) != 1) return invalid_argument("signature must have exactly one signer");
  CMS_SignerInfo* info = sk_CMS_SignerInfo_value(infos, 0);
  crypto::X509StackPtr certs(reinterpret_cast<STACK_OF_X509*>(CMS_get1_certs(cms.get())));
  auto* stack = reinterpret_cast<STACK_OF(X509)*>(certs.get());
  for (int i = 0; stack != nullptr && i < sk_X509_num(stack); ++i) {
    if (CMS_SignerInfo_cert_cmp(info, sk_X509_value(stack, i)) == 0) {
      return crypto::Certificate::share(sk_X509_value(stack, i));
    }
  }
  return permission_denied("untrusted signer: the signature does not carry its signer's certificate");
}

bool is_self_signed(const crypto::Certificate& cert) {
  const bool ok = X509_check_issued(cert.get(), cert.get()) == X509_V_OK &&
                  X509_verify(cert.get(), X509_get0_pubkey(cert.get())) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace

// Checks 1 to 13 of docs/protocol/management-requests.md, everything but storing or acting on the
// request. `actor` and `target` are set for the audit entry as soon as they are known.
Result<SecurityServers::Received> SecurityServers::receive(std::string_view body, std::string_view signature,
                                                           std::initializer_list<management::RequestType> accepted,
                                                           std::string& actor, std::string& target) {
  if (signature.empty()) return permission_denied("unsigned request: a management request needs a CMS signature");
  if (body.size() > management::kMaxRequestBytes || signature.size() > management::kMaxSignatureBytes) {
    return invalid_argument("malformed request: request or signature over 64 KiB");
  }
  XACBE_ASSIGN_OR_RETURN(management::Request envelope, management::parse_request(body, settings_.instance));
  target = envelope.server.to_string();
  if (std::find(accepted.begin(), accepted.end(), envelope.type) == accepted.end()) {
    return invalid_argument("malformed request: a " + std::string(management::request_type_name(envelope.type)) +
                            " request is not handled by this operation");
  }
  XACBE_ASSIGN_OR_RETURN(Signer signer, verify_signer(envelope, body, signature));
  actor = "server:" + target;
  XACBE_RETURN_IF_ERROR(check_fresh(envelope));
  XACBE_RETURN_IF_ERROR(remember_request_id(envelope));
  XACBE_RETURN_IF_ERROR(check_owner_active(envelope.server.owner()));
  XACBE_RETURN_IF_ERROR(check_signer_status(signer));
  XACBE_RETURN_IF_ERROR(check_payload(envelope));
  return Received{std::move(envelope), std::move(signer)};
}

Result<SecurityServers::Signer> SecurityServers::verify_signer(const management::Request& envelope,
                                                              std::string_view body, std::string_view signature) {
  const TimePoint now = clock_.now();
  XACBE_ASSIGN_OR_RETURN(crypto::Certificate signer, embedded_signer(signature));
  const crypto::Certificate& root = ca_.certificate();

  if (is_self_signed(signer) && signer.der() != root.der()) {
    // Bootstrap: proof of possession of the key of the CSR the register-server carries.
    if (envelope.type != management::RequestType::kRegisterServer) {
      return permission_denied("untrusted signer: a self-signed certificate may sign only the first "
                               "register-server request of a server");
    }
    auto verified = crypto::cms_verify_detached(signature, body, {signer}, now);
    if (!verified) return permission_denied("signature does not match the request: " + verified.status().message());
    crypto::EVP_PKEYPtr csr_key = envelope.csr->public_key();
    if (EVP_PKEY_eq(X509_get0_pubkey(signer.get()), csr_key.get()) != 1) {
      ERR_clear_error();
      return permission_denied("wrong signer: a bootstrap request must be signed with the key of its auth_csr");
    }
    return Signer{true, {}};
  }

  Status chained = crypto::verify_chain(signer, {root}, {}, now);
  if (!chained.is_ok()) {
    return permission_denied("untrusted signer: " + signer.subject() + " is not a valid certificate of the CEIQROO CA (" +
                             chained.message() + ")");
  }
  auto verified = crypto::cms_verify_detached(signature, body, {root}, now);
  if (!verified) return permission_denied("signature does not match the request: " + verified.status().message());

  // The signer must be a certificate recorded for the owner member: its signing certificate, or an
  // authentication certificate bound to this very server.
  const std::string serial = signer.serial_hex();
  XACBE_ASSIGN_OR_RETURN(store::Statement find, db_.prepare("SELECT member_id, profile, server_code FROM"
                                                            " member_certificate WHERE serial=?1"));
  find.bind(1, serial);
  XACBE_ASSIGN_OR_RETURN(bool found, find.step());
  const std::string owner = envelope.server.owner().to_string();
  if (!found) {
    return permission_denied("wrong signer: certificate " + serial + " is not recorded for any member");
  }
  if (find.column_text(0) != owner) {
    return permission_denied("wrong signer: certificate " + serial + " belongs to " + find.column_text(0) +
                             ", not to " + owner);
  }
  if (find.column_text(1) == "auth" && (find.is_null(2) || find.column_text(2) != envelope.server.server_code())) {
    return permission_denied("wrong signer: authentication certificate " + serial + " is bound to server " +
                             owner + "/" + (find.is_null(2) ? "?" : find.column_text(2)) + ", not to " +
                             envelope.server.to_string());
  }
  return Signer{false, serial};
}

Status SecurityServers::check_fresh(const management::Request& envelope) const {
  const auto skew = std::chrono::abs(std::chrono::floor<std::chrono::seconds>(clock_.now()) - envelope.created_at);
  if (skew > settings_.freshness) {
    return permission_denied("stale request: created_at " + globalconf::format_time(envelope.created_at) +
                             " is " + std::to_string(skew.count()) + " s from the registry's clock (limit " +
                             std::to_string(settings_.freshness.count()) + " s)");
  }
  return Status::ok();
}

// Request ids of authenticated requests are kept for good: a second use is a replay, whatever
// happened to the first.
Status SecurityServers::remember_request_id(const management::Request& envelope) {
  XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                         db_.prepare("INSERT OR IGNORE INTO management_request_id(server_id, request_id, created_at,"
                                     " seen_at) VALUES(?1,?2,?3,?4)"));
  insert.bind(1, envelope.server.to_string()).bind(2, envelope.request_id);
  insert.bind(3, to_unix_seconds(envelope.created_at)).bind(4, to_unix_seconds(clock_.now()));
  XACBE_RETURN_IF_ERROR(insert.run());
  if (db_.changes() == 0) {
    return Status(Code::kAlreadyExists, "replayed request: request_id " + envelope.request_id +
                                            " was already used by " + envelope.server.to_string());
  }
  return Status::ok();
}

Status SecurityServers::check_signer_status(const Signer& signer) {
  if (signer.bootstrap) return Status::ok();
  XACBE_ASSIGN_OR_RETURN(crypto::CertStatus status, ca_.status(signer.serial));
  if (status.kind != crypto::CertStatus::Kind::kGood) {
    return permission_denied("revoked signer: certificate " + signer.serial + " is " +
                             (status.kind == crypto::CertStatus::Kind::kRevoked
                                  ? std::string("revoked (") + crypto::reason_name(status.reason) + ")"
                                  : std::string("unknown to the CA")));
  }
  return Status::ok();
}

}  // namespace xacbe::registry
