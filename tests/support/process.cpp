#include "support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace xacbe::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

// Child side of fork(): redirect fds and exec; never returns.
[[noreturn]] void exec_child(const std::vector<std::string>& argv, int in_fd, int out_fd,
                             const std::vector<std::string>& environment = {}) {
  dup2(in_fd, 0);
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  // The parent may block SIGTERM for its own signal handling; children start with none blocked.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (const auto& entry : environment) putenv(const_cast<char*>(entry.c_str()));
  auto args = c_argv(argv);
  execvp(args[0], args.data());
  std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
  _exit(127);
}

std::optional<int> wait_bounded(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return std::nullopt;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input,
                          std::chrono::milliseconds timeout) {
  int in_pipe[2], out_pipe[2];
  if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    exec_child(argv, in_pipe[0], out_pipe[1]);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  // Feed stdin from a thread so a child that writes much before reading cannot deadlock us.
  std::thread feeder([fd = in_pipe[1], &input] {
    std::size_t done = 0;
    signal(SIGPIPE, SIG_IGN);
    while (done < input.size()) {
      ssize_t n = write(fd, input.data() + done, input.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    close(fd);
  });
  CommandResult result;
  const auto deadline = Clock::now() + timeout;
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  char buf[4096];
  bool timed_out = false;
  for (;;) {
    ssize_t n = read(out_pipe[0], buf, sizeof buf);
    if (n > 0) {
      result.output.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (Clock::now() >= deadline) {
      timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  close(out_pipe[0]);
  feeder.join();
  auto status = wait_bounded(pid, timed_out ? std::chrono::seconds(5) : std::chrono::milliseconds(timeout));
  if (!status) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  } else if (!timed_out && WIFEXITED(*status)) {
    result.exit_code = WEXITSTATUS(*status);
  }
  return result;
}

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string log_path, std::vector<std::string> environment)
    : log_path_(std::move(log_path)) {
  int out_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out_fd < 0 || in_fd < 0) throw std::runtime_error("cannot open " + log_path_);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) exec_child(argv, in_fd, out_fd, environment);
  close(out_fd);
  close(in_fd);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool ChildProcess::running() {
  if (status_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
  return !status_;
}

std::string ChildProcess::log() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<unsigned> ChildProcess::wait_for_port(std::chrono::milliseconds timeout) {
  static const std::regex kListening(R"(listening on [a-z]+://[^ ]*:([0-9]+))");
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    std::smatch m;
    const std::string text = log();
    if (std::regex_search(text, m, kListening)) return static_cast<unsigned>(std::stoul(m[1]));
    if (!running()) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

int ChildProcess::stop(int signal, std::chrono::milliseconds timeout) {
  if (status_) return *status_;
  kill(pid_, signal);
  auto status = wait_bounded(pid_, timeout);
  if (!status) return -1;
  status_ = status;
  return *status;
}

std::vector<std::string> faketime_environment(const std::string& offset) {
  static const char* const kLibraries[] = {"/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                                           "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
                                           "/usr/lib/faketime/libfaketime.so.1"};
  std::string library;
  for (const char* candidate : kLibraries) {
    if (access(candidate, R_OK) == 0) library = candidate;
  }
  if (library.empty()) throw std::runtime_error("libfaketime not found: install the faketime package (scripts/setup)");
  const char* asan = std::getenv("ASAN_OPTIONS");
  return {"LD_PRELOAD=" + library, "FAKETIME=" + offset, "FAKETIME_DONT_FAKE_MONOTONIC=1",
          "FAKETIME_NO_CACHE=1",
          "ASAN_OPTIONS=" + std::string(asan ? asan : "") + (asan && *asan ? ":" : "") + "verify_asan_link_order=0"};
}

std::string python_with(const std::string& module) {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("XACBE_PYTHON")) candidates.emplace_back(env);
  candidates.emplace_back("python3");
  candidates.emplace_back("/usr/bin/python3");
  for (const auto& c : candidates) {
    if (run_command({c, "-c", "import " + module}, {}, std::chrono::seconds(20)).exit_code == 0) return c;
  }
  return {};
}

}  // namespace xacbe::testing
