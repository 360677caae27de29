#include "database_owner.hpp"
#include "status_query.hpp"
#include "xacbe/ca/certificate_authority.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::ca {

namespace detail {

Result<crypto::CertStatus> query_status(store::Database& db, const std::string& serial_hex) {
  XACBE_ASSIGN_OR_RETURN(store::Statement select,
                         db.prepare("SELECT revoked_at, reason FROM ca_certificate WHERE serial=?1"));
  select.bind(1, serial_hex);
  XACBE_ASSIGN_OR_RETURN(bool row, select.step());
  crypto::CertStatus status;
  if (!row) return status;  // kUnknown: never issued by this CA
  if (select.is_null(0)) {
    status.kind = crypto::CertStatus::Kind::kGood;
  } else {
    status.kind = crypto::CertStatus::Kind::kRevoked;
    status.revoked_at = sys_seconds_from_unix(select.column_int64(0));
    status.reason = static_cast<crypto::RevocationReason>(select.column_int64(1));
  }
  return status;
}

}  // namespace detail

CaStatusSource::CaStatusSource(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}
CaStatusSource::~CaStatusSource() = default;

Result<std::unique_ptr<CaStatusSource>> CaStatusSource::open(const std::string& db_path,
                                                              const crypto::Certificate& ca_certificate) {
  store::OpenOptions options;
  options.read_only = true;
  XACBE_ASSIGN_OR_RETURN(auto db, store::Database::open(db_path, options));
  // Refuse a file that is not a CA database, or the database of another CA, now rather than
  // answer internalError (or, worse, the other CA's statuses) forever.
  auto owner = detail::read_owner(*db);
  if (!owner) return Status(owner.status().code(), db_path + ": " + owner.status().message());
  if (Status st = detail::check_owner(*owner, ca_certificate); !st) {
    return Status(st.code(), db_path + ": " + st.message());
  }
  if (!owner->recorded_sha256 && owner->has_certificates) {
    log::warn("{} does not record its CA certificate yet; its root is {}, as configured. The CA records it when it "
              "next opens the database",
              db_path, ca_certificate.subject());
  }
  return std::unique_ptr<CaStatusSource>(new CaStatusSource(std::move(db)));
}

Result<crypto::CertStatus> CaStatusSource::lookup(const std::string& serial_hex) {
  std::lock_guard lock(mu_);
  return detail::query_status(*db_, serial_hex);
}

}  // namespace xacbe::ca
