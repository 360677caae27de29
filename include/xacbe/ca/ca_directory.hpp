#pragma once
// The CA directory an operator creates with `xacbe ca init` (docs/operator-guide.md): ca.key
// (mode 0600), ca.pem, ca.db (SQLite) and ca.json (settings of every issue). The CLI and the
// central registry both open the CA through it.

#include <memory>
#include <string>

#include "xacbe/ca/certificate_authority.hpp"

namespace xacbe::ca {

// ca.json: "ocsp_url" and the "*_validity_days" of each profile; unknown keys are refused.
Result<CaSettings> read_ca_settings(const std::string& dir);

// Opens an existing CA directory (never creates one).
Result<std::unique_ptr<CertificateAuthority>> open_ca_directory(const std::string& dir, const Clock& clock);

}  // namespace xacbe::ca
