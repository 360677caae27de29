#pragma once
// For test code that builds OpenSSL objects by hand (answers of made-up responders and TSAs): a
// failed OpenSSL call ends the test with OpenSSL's reason instead of producing a broken object.

#include <stdexcept>
#include <string>

#include "xacbe/crypto/asn1.hpp"
#include "xacbe/crypto/openssl_ptr.hpp"

namespace xacbe::testing {

inline void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(crypto::openssl_error(what));
}

// DER through the shared encoder; a failure ends the test.
template <typename T>
std::string encode(int (*i2d)(const T*, unsigned char**), const T* value) {
  std::string out = crypto::to_der(i2d, value);
  require(!out.empty(), "encode");
  return out;
}

}  // namespace xacbe::testing
