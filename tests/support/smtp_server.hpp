#pragma once
// A real SMTP server for tests: aiosmtpd (Debian python3-aiosmtpd) on a free 127.0.0.1 port,
// writing a maildir that mails() reads back as Python's email package decodes it; and loopback
// listeners that accept and stay silent, for timeout tests.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace xacbe::testing {

using namespace std::chrono_literals;


// The interpreter that has aiosmtpd (python3-aiosmtpd).
inline const std::string& python() {
  static const std::string found = python_with("aiosmtpd");
  return found;
}

// A loopback listening socket: port 0 picks a free port; without accept() nobody greets.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd_, 8) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() {
    if (accepted_ >= 0) close(accepted_);
    close(fd_);
  }
  unsigned port() const { return port_; }
  // Accepts one connection and holds it open, silent.
  bool wait_for_connection(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
    accepted_ = accept(fd_, nullptr, nullptr);
    return accepted_ >= 0;
  }

 private:
  int fd_ = -1;
  int accepted_ = -1;
  unsigned port_ = 0;
};

inline unsigned free_port() {
  return Listener().port();
}

inline bool accepts(unsigned port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// For refusal tests: 550 for recipients named nobody*, 451 for busy*, others as Mailbox.
constexpr const char* kRejectingHandler = R"(from aiosmtpd.handlers import Mailbox
class Rejecting(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local.startswith("nobody"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if local.startswith("busy"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"
)";

// Every received mail as Python's email package decodes it.
constexpr const char* kReadMaildir = R"(import email, email.policy, json, mailbox, os, sys
out = []
if os.path.isdir(os.path.join(sys.argv[1], "new")):
    box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
    for key in sorted(box.keys()):
        raw = box.get_bytes(key)
        m = email.message_from_bytes(raw, policy=email.policy.default)
        out.append({"to": str(m["To"]), "from": str(m["From"]), "subject": str(m["Subject"]),
                    "message_id": str(m["Message-ID"]), "rcpt_to": str(m["X-RcptTo"]),
                    "date": str(m["Date"]), "type": m.get_content_type(),
                    "charset": m.get_content_charset(), "body": m.get_content(),
                    "seven_bit": all(b < 128 for b in raw)})
print(json.dumps(out))
)";

class SmtpServer {
 public:
  // tls_args: aiosmtpd --tlscert/--tlskey (STARTTLS) or --smtpscert/--smtpskey (implicit TLS).
  SmtpServer(const TempDir& dir, unsigned port, bool rejecting = false, const std::vector<std::string>& tls_args = {})
      : maildir_(dir.file("maildir")) {
    if (python().empty()) throw std::runtime_error("python3 with aiosmtpd not found: apt-get install python3-aiosmtpd");
    std::ofstream(dir.file("xacbe_test_smtp.py")) << kRejectingHandler;
    std::vector<std::string> argv = {"env", "PYTHONPATH=" + dir.path(),         python(), "-m", "aiosmtpd", "-n",
                                     "-l",  "127.0.0.1:" + std::to_string(port)};
    argv.insert(argv.end(), tls_args.begin(), tls_args.end());
    argv.insert(argv.end(), {"-c", rejecting ? "xacbe_test_smtp.Rejecting" : "aiosmtpd.handlers.Mailbox", maildir_});
    child_ = std::make_unique<ChildProcess>(argv, dir.file("smtp-" + std::to_string(port) + ".log"));
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!accepts(port)) {
      if (!child_->running() || std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("SMTP server did not start: " + child_->log());
      }
      std::this_thread::sleep_for(20ms);
    }
  }

  nlohmann::json mails() const {
    const auto r = run_command({python(), "-c", kReadMaildir, maildir_});
    if (r.exit_code != 0) {
      ADD_FAILURE() << "reading the maildir failed: " << r.output;
      return nlohmann::json::array();
    }
    return nlohmann::json::parse(r.output);
  }

 private:
  std::string maildir_;
  std::unique_ptr<ChildProcess> child_;
};

}  // namespace xacbe::testing
