#include "credential_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "xacbe/log/log.hpp"

namespace xacbe::ocsp {
namespace {

// While the certificate is about to end, and while it is outside its validity.
constexpr std::chrono::hours kEndingReminder{24};
constexpr std::chrono::hours kOutsideReminder{1};

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// A key or certificate file as it may be found: missing, a directory, a FIFO that would block,
// or huge. Only a regular file of at most kMaxCredentialFileBytes is read.
Result<std::string> read_credential_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) return not_found("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return unavailable("cannot stat " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return invalid_argument(path + " is not a regular file");
  if (st.st_size > static_cast<off_t>(kMaxCredentialFileBytes)) {
    return invalid_argument(path + " holds " + std::to_string(st.st_size) + " bytes, more than a key or certificate (" +
                            std::to_string(kMaxCredentialFileBytes) + " at most)");
  }
  std::string out;
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unavailable("cannot read " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
    // The file may grow while it is read.
    if (out.size() > kMaxCredentialFileBytes) return invalid_argument(path + " grew past the size of a key or certificate");
  }
  return out;
}

std::string hours_left(const crypto::Certificate& certificate, TimePoint now) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::hours>(certificate.not_after() - to_sys_seconds(now)).count());
}

}  // namespace

Result<ResponderCredentials> load_credentials(const std::string& key_path, const std::string& certificate_path) {
  XACBE_ASSIGN_OR_RETURN(std::string key_pem, read_credential_file(key_path));
  auto key = crypto::PrivateKey::from_pem(key_pem);
  if (!key) return Status(key.status().code(), key_path + ": " + key.status().message());
  XACBE_ASSIGN_OR_RETURN(std::string certificate_pem, read_credential_file(certificate_path));
  auto certificate = crypto::Certificate::from_pem(certificate_pem);
  if (!certificate) return Status(certificate.status().code(), certificate_path + ": " + certificate.status().message());
  return ResponderCredentials{std::move(certificate).value(), std::move(key).value()};
}

CredentialFiles::CredentialFiles(std::string key_path, std::string certificate_path, const Clock& clock,
                                 std::chrono::seconds check_interval)
    : key_path_(std::move(key_path)), certificate_path_(std::move(certificate_path)), clock_(clock),
      check_interval_(check_interval) {}

CredentialFiles::FileIdentity CredentialFiles::identity_of(const std::string& path) {
  struct stat st {};
  FileIdentity id;
  if (::stat(path.c_str(), &st) != 0) return id;
  id.exists = true;
  id.device = st.st_dev;
  id.inode = st.st_ino;
  id.size = st.st_size;
  id.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return id;
}

Result<ResponderCredentials> CredentialFiles::load() {
  std::lock_guard lock(mu_);
  // Noted before reading: a file written meanwhile is read again at the next poll.
  key_seen_ = identity_of(key_path_);
  certificate_seen_ = identity_of(certificate_path_);
  last_check_ = clock_.now();
  XACBE_ASSIGN_OR_RETURN(ResponderCredentials credentials, load_credentials(key_path_, certificate_path_));
  watch_validity(credentials.certificate, last_check_);
  return credentials;
}

void CredentialFiles::poll(Responder& responder) {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another request is looking right now
  const TimePoint now = clock_.now();
  // A clock set back counts as due, so that a jump cannot stop the checks.
  if (now >= last_check_ && now - last_check_ < check_interval_) return;
  last_check_ = now;
  if (identity_of(key_path_) != key_seen_ || identity_of(certificate_path_) != certificate_seen_) {
    reload(responder, "responder key or certificate file changed");
  }
  watch_validity(responder.certificate(), now);
}

void CredentialFiles::reload_now(Responder& responder) {
  std::lock_guard lock(mu_);
  reload(responder, "SIGHUP");
  watch_validity(responder.certificate(), clock_.now());
}

void CredentialFiles::reload(Responder& responder, const char* why) {
  key_seen_ = identity_of(key_path_);
  certificate_seen_ = identity_of(certificate_path_);
  auto loaded = load_credentials(key_path_, certificate_path_);
  const crypto::Certificate candidate = loaded ? loaded->certificate : responder.certificate();
  const Status replaced = loaded ? responder.replace_credentials(std::move(loaded).value()) : loaded.status();
  if (!replaced.is_ok()) {
    log::error("{}: responder key and certificate not reloaded, the previous ones stay (serial {}): {}", why,
               responder.certificate().serial_hex(), replaced.to_string());
    return;
  }
  log::info("{}: responder certificate {} (serial {}, valid until {}) loaded from {}", why, candidate.subject(),
            candidate.serial_hex(), to_iso8601_utc(candidate.not_after()), certificate_path_);
  last_alert_ = Alert::kNone;  // a new certificate: say at once if it too is about to end
}

void CredentialFiles::watch_validity(const crypto::Certificate& certificate, TimePoint now) {
  Alert alert = Alert::kNone;
  if (is_before(now, certificate.not_before()) || is_after(now, certificate.not_after())) {
    alert = Alert::kOutsideValidity;
  } else if (to_sys_seconds(now) + kRenewalWarning > certificate.not_after()) {
    alert = Alert::kEnding;
  }
  const std::chrono::hours reminder = alert == Alert::kOutsideValidity ? kOutsideReminder : kEndingReminder;
  const bool due = alert != last_alert_ || now < last_alert_at_ || now - last_alert_at_ >= reminder;
  last_alert_ = alert;
  if (alert == Alert::kNone || !due) return;
  last_alert_at_ = now;
  if (alert == Alert::kOutsideValidity) {
    log::error("the responder certificate {} (serial {}) is outside its validity ({} to {}): every request is "
               "answered tryLater until a current certificate is written to {}",
               certificate.subject(), certificate.serial_hex(), to_iso8601_utc(certificate.not_before()),
               to_iso8601_utc(certificate.not_after()), certificate_path_);
  } else {
    log::warn("the responder certificate {} (serial {}) expires at {}, in {} hours: issue a new one and write it "
              "with its key to {} and {}",
              certificate.subject(), certificate.serial_hex(), to_iso8601_utc(certificate.not_after()),
              hours_left(certificate, now), certificate_path_, key_path_);
  }
}

}  // namespace xacbe::ocsp
