#pragma once
// RFC 6960 OCSP responder for the certificates of one issuing CA, signed by a delegated responder
// certificate (extended key usage OCSPSigning, id-pkix-ocsp-nocheck). respond() turns the DER of an
// OCSPRequest into the DER of an OCSPResponse and never throws on bad input: malformed input is
// answered with the unsigned malformedRequest status, a CertID of another issuer with unauthorized,
// a failing status source with internalError, and any request while the responder certificate is
// outside its validity with tryLater (RFC 6960 section 2.3). The responder's key and certificate
// can be replaced while it runs (replace_credentials), so a renewed certificate needs no restart.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "xacbe/clock.hpp"
#include "xacbe/crypto/cert_status.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ocsp {

using crypto::CertStatus;
using crypto::RevocationReason;

using crypto::CertStatusSource;

struct ResponderSettings {
  // ResponderID byKey (SHA-1 of the responder's public key) or byName.
  bool responder_id_by_key = true;
  // nextUpdate = thisUpdate + this; zero omits nextUpdate.
  std::chrono::seconds next_update = std::chrono::minutes(10);
  // Requests with more CertIDs than this are malformedRequest.
  std::size_t max_certs_per_request = 32;
  // OCSPRequest DER larger than this is malformedRequest.
  std::size_t max_request_bytes = 16 * 1024;
};

// The delegated responder's key and certificate: what signs the answers.
struct ResponderCredentials {
  crypto::Certificate certificate;
  crypto::PrivateKey key;
};

class Responder {
 public:
  // Refuses (kPermissionDenied) a responder certificate that `issuer` did not sign or that lacks
  // the OCSPSigning extended key usage (RFC 6960 section 4.2.2.2), and (kInvalidArgument) a key
  // that does not match it. `clock` and `statuses` must outlive the Responder.
  static Result<std::unique_ptr<Responder>> create(crypto::Certificate issuer,
                                                   crypto::Certificate responder_cert,
                                                   crypto::PrivateKey responder_key,
                                                   ResponderSettings settings, const Clock& clock,
                                                   CertStatusSource& statuses);
  ~Responder();

  // Thread-safe. Always returns a DER OCSPResponse. A successful one holds one SingleResponse
  // per requested CertID, in request order, each CertID copied as requested; thisUpdate and
  // producedAt are clock.now(), and a valid nonce (RFC 8954) is echoed. Any CertID that does not
  // name our issuer (including one hashed with an algorithm other than SHA-1 or SHA-256) makes
  // the whole answer unauthorized: this responder answers for its CA only.
  std::string respond(std::string_view request_der) const;

  // Checks `credentials` as create() does and, when they pass, signs every answer begun from now
  // on with them; otherwise the credentials in use stay. Thread-safe.
  Status replace_credentials(ResponderCredentials credentials);
  // The responder certificate in use now.
  crypto::Certificate certificate() const;

 private:
  struct Impl;
  explicit Responder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace xacbe::ocsp
