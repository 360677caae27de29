#include "xacbe/ca/ca_directory.hpp"

#include "xacbe/config/config.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::ca {

Result<CaSettings> read_ca_settings(const std::string& dir) {
  XACBE_ASSIGN_OR_RETURN(config::Node root, config::Node::load(dir + "/ca.json"));
  CaSettings s;
  XACBE_ASSIGN_OR_RETURN(s.ocsp_url, config::string_or(root, "ocsp_url", ""));
  auto days = [&](const char* key, std::chrono::hours& out) -> Status {
    XACBE_ASSIGN_OR_RETURN(auto d, config::integer_or(root, key, out.count() / 24, 1, 36500));
    out = std::chrono::hours(24 * d);
    return Status::ok();
  };
  XACBE_RETURN_IF_ERROR(days("auth_validity_days", s.auth_validity));
  XACBE_RETURN_IF_ERROR(days("sign_validity_days", s.sign_validity));
  XACBE_RETURN_IF_ERROR(days("ocsp_validity_days", s.ocsp_validity));
  XACBE_RETURN_IF_ERROR(days("tsa_validity_days", s.tsa_validity));
  XACBE_RETURN_IF_ERROR(days("service_validity_days", s.service_validity));
  XACBE_RETURN_IF_ERROR(root.check_all_used());
  return s;
}

Result<std::unique_ptr<CertificateAuthority>> open_ca_directory(const std::string& dir, const Clock& clock) {
  XACBE_ASSIGN_OR_RETURN(CaSettings settings, read_ca_settings(dir));
  XACBE_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::load(dir + "/ca.key"));
  XACBE_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::load(dir + "/ca.pem"));
  store::OpenOptions options;
  options.create = false;
  XACBE_ASSIGN_OR_RETURN(auto db, store::Database::open(dir + "/ca.db", options));
  auto ca = CertificateAuthority::open(std::move(db), std::move(key), std::move(cert), settings, clock);
  if (!ca && ca.status().code() == Code::kFailedPrecondition) {
    // Name the files: the operator has to find which of them was swapped.
    return Status(ca.status().code(), dir + "/ca.db and " + dir + "/ca.pem do not belong together: " +
                                          ca.status().message());
  }
  return ca;
}

}  // namespace xacbe::ca
