#pragma once
// The OCSP responder's key and certificate files (docs/protocol/ocsp.md, "Renewing the responder
// certificate"): read at start, and read again while the responder runs, so that a renewed
// certificate is used without a restart. A pair that does not load, is not the CA's delegated
// responder or does not match is refused and the pair in use stays. The responder certificate
// lives 30 days by default, so its end is watched too: a warning from 7 days before, and an error
// while it is outside its validity (the responder answers tryLater then).

#include <sys/stat.h>

#include <chrono>
#include <mutex>
#include <string>

#include "responder.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ocsp {

// Larger key or certificate files are refused unread.
inline constexpr std::size_t kMaxCredentialFileBytes = 1 << 20;
// From how long before its notAfter the responder certificate is warned about.
inline constexpr std::chrono::hours kRenewalWarning{24 * 7};

// Reads a key file and a certificate file: regular files of at most kMaxCredentialFileBytes,
// a PEM private key and a PEM certificate (its first). Errors name the file.
Result<ResponderCredentials> load_credentials(const std::string& key_path, const std::string& certificate_path);

class CredentialFiles {
 public:
  // `check_interval`: how often poll() looks at the files (zero: at every call). `clock` must
  // outlive this.
  CredentialFiles(std::string key_path, std::string certificate_path, const Clock& clock,
                  std::chrono::seconds check_interval);

  // At start: notes the files' identities, then reads the pair (not checked against the CA: the
  // Responder does that). Logs the certificate's coming end as poll() does.
  Result<ResponderCredentials> load();
  // Called before each request; cheap. At most once per check_interval: when either file's
  // identity (device, inode, size, modification time) differs from the pair last tried, reads
  // the pair and hands it to `responder`. A refused pair is logged once, not at every request,
  // and tried again when the files change. Also logs the certificate's coming end (once a day)
  // or its being outside its validity (once an hour). Thread-safe; a caller finding another one
  // checking does not wait.
  void poll(Responder& responder);
  // SIGHUP: reads the pair now, changed or not, and logs the outcome. Thread-safe.
  void reload_now(Responder& responder);

 private:
  struct FileIdentity {
    bool exists = false;
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const FileIdentity&) const = default;
  };
  enum class Alert { kNone, kEnding, kOutsideValidity };
  static FileIdentity identity_of(const std::string& path);
  // Both need mu_ held.
  void reload(Responder& responder, const char* why);
  void watch_validity(const crypto::Certificate& certificate, TimePoint now);

  const std::string key_path_, certificate_path_;
  const Clock& clock_;
  const std::chrono::seconds check_interval_;
  std::mutex mu_;
  TimePoint last_check_;                      // guarded by mu_
  FileIdentity key_seen_, certificate_seen_;  // guarded by mu_: of the pair last tried
  Alert last_alert_ = Alert::kNone;           // guarded by mu_
  TimePoint last_alert_at_;                   // guarded by mu_
};

}  // namespace xacbe::ocsp
