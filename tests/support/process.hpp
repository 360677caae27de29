#pragma once
// Child processes for integration and interop tests: our executables started on loopback ports,
// and outside tools (openssl, xmlsec1) run to completion. Every wait is bounded.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace xacbe::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal or on timeout
  std::string output;  // stdout and stderr interleaved
};

// Runs argv[0] (searched in PATH) with stdin from `input`, kills it after `timeout`.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The Python interpreter that can import `module`: $XACBE_PYTHON, python3 in PATH, or Debian's
// system python3 (for which the Debian python3-* packages install modules); empty when none can.
std::string python_with(const std::string& module);

// A long-running child whose stdout and stderr go to `log_path`. Killed (SIGKILL) on destruction
// unless stopped before.
class ChildProcess {
 public:
  // `environment`: extra NAME=value entries for the child (e.g. faketime_environment()).
  ChildProcess(std::vector<std::string> argv, std::string log_path, std::vector<std::string> environment = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits until the log holds a line "... listening on <scheme>://<address>:<port>" and returns
  // the port; nullopt if the child exits or `timeout` passes first.
  std::optional<unsigned> wait_for_port(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Sends `signal` and waits for the exit; returns the exit status (as from waitpid) or -1.
  int stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool running();
  std::string log() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> status_;
};

// The test hook that moves a real executable's clock: libfaketime (Debian package faketime)
// preloaded with FAKETIME = `offset` ("+40d", "-2h", "@2262-04-12 00:00:00"). The monotonic clock
// is left alone, so timeouts still work. ASan builds are told to accept the preloaded library.
std::vector<std::string> faketime_environment(const std::string& offset);

}  // namespace xacbe::testing
