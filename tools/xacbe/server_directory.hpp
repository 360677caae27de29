#pragma once
// A security server's setup directory, as the "xacbe server ..." commands keep it
// (docs/operator-guide.md, "Setting up a server"):
//   server-id            the server's id, INSTANCE/CLASS/CODE/SERVERCODE, one line
//   auth.key, sign.key   private keys (PKCS#8 PEM, mode 0600): never printed, never sent
//   auth.csr, sign.csr   the PKCS#10 requests for them
//   auth.pem, sign.pem   the certificates the CEIQROO CA issued, once collected
//   requests             the registry's ids of the requests that ask for a certificate, one per
//                        line: "<auth|sign> <id>" while waiting, then "<auth|sign> <id> installed
//                        <serial>" or "<auth|sign> <id> declined"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/id/identifiers.hpp"
#include "xacbe/management/management_request.hpp"
#include "xacbe/result.hpp"

namespace xacbe::tools {

// A certificate request recorded in `requests`.
struct RecordedRequest {
  management::KeyUsage usage = management::KeyUsage::kAuth;
  std::int64_t id = 0;  // the registry's id of the request
  std::string outcome;  // empty while waiting; "installed <serial>" or "declined"
};

class ServerDirectory {
 public:
  explicit ServerDirectory(std::string dir);

  const std::string& path() const { return dir_; }
  std::string file(std::string_view name) const;
  // "auth.key", "sign.pem", ...: the file of `usage` with `extension`.
  static std::string name(management::KeyUsage usage, std::string_view extension);
  std::string file(management::KeyUsage usage, std::string_view extension) const;
  bool has(const std::string& name) const;

  // The id in server-id; kNotFound when the directory was not initialised.
  Result<id::SecurityServerId> server_id() const;

  // The recorded requests, in the order they were made; none when the file does not exist.
  // kCorrupt names the line that is not one of the forms above.
  Result<std::vector<RecordedRequest>> requests() const;
  // Rewrites `requests` atomically.
  Status write_requests(const std::vector<RecordedRequest>& requests) const;
  // Adds a waiting request.
  Status record(management::KeyUsage usage, std::int64_t id) const;

 private:
  std::string dir_;
};

}  // namespace xacbe::tools
