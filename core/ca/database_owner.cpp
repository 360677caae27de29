#include "database_owner.hpp"

#include <algorithm>

#include "xacbe/crypto/encoding.hpp"
#include "xacbe/log/log.hpp"

namespace xacbe::ca::detail {
namespace {

// A database holds one root; a few more are read only to name them in the refusal.
constexpr int kMaxRootsRead = 8;

}  // namespace

Result<DatabaseOwner> read_owner(store::Database& db) {
  DatabaseOwner owner;
  {
    auto any = db.prepare("SELECT EXISTS(SELECT 1 FROM ca_certificate)");
    if (!any) return invalid_argument("not a CA database: " + any.status().message());
    XACBE_ASSIGN_OR_RETURN(bool row, any->step());
    owner.has_certificates = row && any->column_int64(0) != 0;
  }
  {
    XACBE_ASSIGN_OR_RETURN(store::Statement roots,
                           db.prepare("SELECT der FROM ca_certificate WHERE profile='root' ORDER BY issued_at LIMIT ?1"));
    roots.bind(1, kMaxRootsRead);
    for (;;) {
      XACBE_ASSIGN_OR_RETURN(bool row, roots.step());
      if (!row) break;
      owner.root_sha256s.push_back(crypto::to_hex(crypto::sha256(roots.column_blob(0))));
    }
  }
  XACBE_ASSIGN_OR_RETURN(store::Statement table,
                         db.prepare("SELECT 1 FROM sqlite_schema WHERE type='table' AND name='ca_identity'"));
  XACBE_ASSIGN_OR_RETURN(bool has_table, table.step());
  if (!has_table) return owner;  // made before schema version 2: not adopted yet
  XACBE_ASSIGN_OR_RETURN(store::Statement identity,
                         db.prepare("SELECT certificate_sha256 FROM ca_identity WHERE id=1"));
  XACBE_ASSIGN_OR_RETURN(bool recorded, identity.step());
  if (recorded) owner.recorded_sha256 = identity.column_text(0);
  return owner;
}

Status check_owner(const DatabaseOwner& owner, const crypto::Certificate& ca_certificate) {
  const std::string ours = ca_certificate.sha256_fingerprint();
  if (owner.recorded_sha256) {
    if (*owner.recorded_sha256 == ours) return Status::ok();
    return failed_precondition("the CA database belongs to another CA: it was made for the CA certificate with "
                               "SHA-256 " + log::bounded(*owner.recorded_sha256, 64) +
                               ", not for this one (" + ca_certificate.subject() + ", SHA-256 " + ours + ")");
  }
  // Not adopted yet: the root rows name the CA that used it, and a database with another root
  // (alone or beside ours, as a mix-up leaves it) is not ours to adopt.
  const auto other = std::find_if(owner.root_sha256s.begin(), owner.root_sha256s.end(),
                                  [&](const std::string& root) { return root != ours; });
  if (other == owner.root_sha256s.end()) return Status::ok();
  return failed_precondition("the CA database belongs to another CA: it records the root certificate with SHA-256 " +
                             *other + ", not this one (" + ca_certificate.subject() + ", SHA-256 " + ours + ")");
}

}  // namespace xacbe::ca::detail
