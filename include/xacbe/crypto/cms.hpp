#pragma once
// CMS SignedData (RFC 5652) over detached content. A security server signs its management
// requests to the registry this way, so the registry knows which server asks; anyone holding
// the CEIQROO root can check such a signature with `openssl cms -verify`.

#include <string>
#include <string_view>
#include <vector>

#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/key.hpp"

namespace xacbe::crypto {

// DER of a SignedData with one SignerInfo (signing time and content digest as signed attributes)
// over `content`, which is not embedded. `cert` (and `chain`) are embedded.
Result<std::string> cms_sign_detached(const PrivateKey& key, const Certificate& cert, std::string_view content,
                                      const std::vector<Certificate>& chain = {});

// Checks that `cms_der` is a SignedData with exactly one signer whose signature covers `content`
// and whose embedded certificate chains to one of `roots` at time `at`; returns that certificate.
// kInvalidArgument: not a SignedData, or not exactly one signer. kPermissionDenied: the
// signature does not match the content, or the signer's certificate does not chain.
Result<Certificate> cms_verify_detached(std::string_view cms_der, std::string_view content,
                                        const std::vector<Certificate>& roots, std::chrono::sys_seconds at);
// At a clock reading, floored to seconds.
inline Result<Certificate> cms_verify_detached(std::string_view cms_der, std::string_view content,
                                               const std::vector<Certificate>& roots, TimePoint at) {
  return cms_verify_detached(cms_der, content, roots, std::chrono::floor<std::chrono::seconds>(at));
}

// CMS AuthEnvelopedData (RFC 5083) with AES-256-GCM, DER, to each of `recipients` (RSA key
// transport or EC key agreement, whichever the certificate's key is): what only their keys open,
// with `openssl cms -decrypt` as well. kInvalidArgument without recipients.
Result<std::string> cms_encrypt(std::string_view content, const std::vector<Certificate>& recipients);

// The content of `cms_der` for the recipient `cert` holding `key`. kPermissionDenied when the key
// does not open it (another recipient's key, or altered bytes); kInvalidArgument when it is not a
// DER CMS enveloped structure.
Result<std::string> cms_decrypt(std::string_view cms_der, const PrivateKey& key, const Certificate& cert);

}  // namespace xacbe::crypto
