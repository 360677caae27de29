#pragma once
// Status and Result<T>: expected failures on the data path are values, not exceptions.
// A Status carries a machine-readable code (stable, documented in docs/protocol/faults.md)
// and a human message. Result<T> is either a value or a non-ok Status.

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace xacbe {

// Codes are coarse categories; the precise reason is in the message.
enum class Code {
  kOk = 0,
  kInvalidArgument,    // malformed input, bad identifier, bad encoding
  kNotFound,           // unknown object
  kAlreadyExists,      // duplicate (e.g. a serial number)
  kPermissionDenied,   // refused by policy (weak key, wrong certificate)
  kFailedPrecondition, // wrong state for the operation
  kUnavailable,        // a peer or resource cannot be reached now
  kDeadlineExceeded,   // timeout
  kCorrupt,            // stored data fails an integrity check
  kInternal,           // a library call failed unexpectedly
};

const char* code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }

  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "CODE_NAME: message", for logs and CLI output.
  std::string to_string() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status permission_denied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
inline Status failed_precondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
inline Status internal_error(std::string m) { return {Code::kInternal, std::move(m)}; }
inline Status unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }

namespace detail {
// Asking an error Result for its value is a programming error: it prints the Status to stderr
// and aborts, in every build type (an assert would vanish under NDEBUG and leave undefined
// behaviour in Release).
[[noreturn]] void abort_on_missing_value(const Status& status);
}  // namespace detail

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.is_ok() && "a Result holding no value needs an error Status");
  }

  bool is_ok() const { return value_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const { return status_; }

  // On an error Result: prints the Status to stderr and aborts (detail::abort_on_missing_value).
  T& value() & { require_value(); return *value_; }
  const T& value() const& { require_value(); return *value_; }
  T&& value() && { require_value(); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  void require_value() const {
    if (!value_.has_value()) detail::abort_on_missing_value(status_);
  }

  std::optional<T> value_;
  Status status_;
};

}  // namespace xacbe

// Propagate a non-ok Status from an expression returning Status.
#define XACBE_RETURN_IF_ERROR(expr)          \
  do {                                       \
    ::xacbe::Status xacbe_status_ = (expr);  \
    if (!xacbe_status_.is_ok()) return xacbe_status_; \
  } while (0)

#define XACBE_CONCAT_INNER(a, b) a##b
#define XACBE_CONCAT(a, b) XACBE_CONCAT_INNER(a, b)
#define XACBE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.is_ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
// Evaluate a Result<T> expression; on error return its Status, else assign the value to lhs.
#define XACBE_ASSIGN_OR_RETURN(lhs, expr) \
  XACBE_ASSIGN_OR_RETURN_IMPL(XACBE_CONCAT(xacbe_result_, __LINE__), lhs, expr)
