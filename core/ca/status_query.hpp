#pragma once
// Internal to the ca module: the one query that turns a CA database row into a CertStatus,
// shared by the CA itself and by the OCSP responder's read-only view.

#include <string>

#include "xacbe/crypto/cert_status.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::ca::detail {

Result<crypto::CertStatus> query_status(store::Database& db, const std::string& serial_hex);

}  // namespace xacbe::ca::detail
