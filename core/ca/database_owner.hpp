#pragma once
// Internal to the ca module: which CA certificate a CA database belongs to
// (docs/protocol/certificates.md, "CA database"). A database records the SHA-256 of its CA
// certificate in ca_identity; one made before that table existed is recognised by the root rows
// of ca_certificate. The CA (read-write) and the OCSP responder (read-only) apply the same rule,
// so a database of another CA is refused by both.

#include <optional>
#include <string>
#include <vector>

#include "xacbe/crypto/certificate.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::ca::detail {

struct DatabaseOwner {
  // ca_identity.certificate_sha256; none before the database is adopted (or made).
  std::optional<std::string> recorded_sha256;
  // SHA-256 of each certificate recorded with profile 'root' (lower-case hex).
  std::vector<std::string> root_sha256s;
  // Whether ca_certificate holds any row at all.
  bool has_certificates = false;
};

// Reads what the database says of its owner; kInvalidArgument when it has no ca_certificate table.
Result<DatabaseOwner> read_owner(store::Database& db);

// OK when the database belongs to `ca_certificate` or to no CA yet; kFailedPrecondition naming
// both fingerprints otherwise.
Status check_owner(const DatabaseOwner& owner, const crypto::Certificate& ca_certificate);

}  // namespace xacbe::ca::detail
