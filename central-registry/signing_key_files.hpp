#pragma once
// The files of the registry's configuration-signing keys (registry.globalconf in
// docs/operator-guide.md): the key in use and, during a key change, the next one. What is missing
// is made the way the first key is made: a new EC P-256 key (mode 0600) and a certificate the
// registry's CA issues for it with the signing profile.

#include <optional>
#include <string>

#include "configuration_publisher.hpp"
#include "xacbe/ca/certificate_authority.hpp"

namespace xacbe::registry {

struct SigningKeyPaths {
  std::string key, certificate;
};

// One stage of a key change, as the configuration states it:
//   no next key                    -> `current` signs
//   next key, sign_with_next false -> `current` signs, `next` is announced in the anchor
//   next key, sign_with_next true  -> `next` signs, `current`'s certificate stays in the anchor
//                                     (its key is not read: it may be gone already)
struct SigningKeyFiles {
  SigningKeyPaths current;
  std::optional<SigningKeyPaths> next;
  bool sign_with_next = false;
};

// Loads the keys of `files`' stage, making a key and certificate that do not exist yet (except the
// retired one, which is never made). Refuses (FAILED_PRECONDITION) a certificate whose key file is
// missing (restore the key, or move the certificate away to make a new pair), a key that does not
// match its certificate, a next key that is the current one (the same files or the same public
// key), and sign_with_next without a next key. Messages name the files.
Result<SigningKeys> open_signing_keys(const SigningKeyFiles& files, const std::string& instance,
                                      ca::CertificateAuthority& ca);

}  // namespace xacbe::registry
