#pragma once
// How Xacbe waits without holding a thread: C++20 coroutines on Asio. A handler or a client call
// is a `Task<T>` (boost::asio::awaitable<T>) that co_awaits sockets, timers and other tasks; while
// it waits, its I/O thread serves other connections. CPU-bound work (signing, SQLite writes) goes
// to a WorkerPool so that a burst of it never stops the I/O threads from accepting and reading.
//
// Only modules that write asynchronous code include this header; http.hpp stays free of Asio.

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "xacbe/result.hpp"

// The coroutine forms of XACBE_RETURN_IF_ERROR and XACBE_ASSIGN_OR_RETURN.
#define XACBE_CO_RETURN_IF_ERROR(expr)                    \
  do {                                                    \
    ::xacbe::Status xacbe_status_ = (expr);               \
    if (!xacbe_status_.is_ok()) co_return xacbe_status_;  \
  } while (0)
#define XACBE_CO_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.is_ok()) co_return tmp.status();            \
  lhs = std::move(tmp).value()
#define XACBE_CO_ASSIGN_OR_RETURN(lhs, expr) \
  XACBE_CO_ASSIGN_OR_RETURN_IMPL(XACBE_CONCAT(xacbe_co_result_, __LINE__), lhs, expr)

namespace xacbe::net {

template <typename T>
using Task = boost::asio::awaitable<T>;

// Suspends the calling task for `duration` on its own executor.
Task<void> sleep_for(std::chrono::steady_clock::duration duration);

// Waits for a callback-style operation without holding a thread: `start(done)` begins it, and the
// task resumes on its own executor with the value passed to `done` (a std::function<void(T)>),
// which may be called from any thread (a signer's or a register writer's), exactly once.
// Callers pass a named callable: GCC 12 may destroy a temporary of a co_await expression twice,
// so no object with a destructor is made inside one here either.
template <typename T, typename F>
Task<T> await_completion(F start) {
  auto initiation = [start = std::move(start)](auto handler) mutable {
    auto executor = boost::asio::get_associated_executor(handler);
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    std::function<void(T)> done = [shared, executor](T value) mutable {
      boost::asio::post(executor, [shared, value = std::move(value)]() mutable { (*shared)(std::move(value)); });
    };
    start(std::move(done));
  };
  auto operation = boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(T)>(
      std::move(initiation), boost::asio::use_awaitable);
  co_return co_await std::move(operation);
}

// A fixed number of threads for CPU-bound work, with a bounded queue. run() hands a function to the
// pool and resumes the caller on its own executor with the result; when `max_queued` calls already
// wait, it answers kUnavailable ("busy") at once instead of queueing without end.
class WorkerPool {
 public:
  // threads 0: one per hardware thread.
  explicit WorkerPool(unsigned threads = 0, std::size_t max_queued = 10000);
  ~WorkerPool();  // finishes queued work, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Waits for queued and running work to finish; later run() calls are refused. Idempotent.
  void join();

  unsigned threads() const;
  std::size_t queued() const;  // waiting or running

  // `work` runs on a pool thread; an exception it throws is rethrown in the caller.
  template <typename F>
  Task<Result<std::invoke_result_t<F>>> run(F work) {
    using T = std::invoke_result_t<F>;
    std::optional<T> out;
    std::exception_ptr failure;
    Status admitted = co_await run_erased([&] {
      try {
        out.emplace(work());
      } catch (...) {
        failure = std::current_exception();
      }
    });
    if (!admitted.is_ok()) co_return admitted;
    if (failure) std::rethrow_exception(failure);
    co_return std::move(*out);
  }

 private:
  // Runs `work` on the pool; the caller's frame (which `work` refers to) outlives it.
  Task<Status> run_erased(std::function<void()> work);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xacbe::net
