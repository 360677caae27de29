#include "xacbe/net/async.hpp"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

namespace xacbe::net {

namespace asio = boost::asio;

Task<void> sleep_for(std::chrono::steady_clock::duration duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

struct WorkerPool::Impl {
  Impl(unsigned n, std::size_t max) : threads(n), max_queued(max), pool(n) {}
  const unsigned threads;
  const std::size_t max_queued;
  std::atomic<std::size_t> queued{0};
  std::atomic<bool> closed{false};
  asio::thread_pool pool;
};

WorkerPool::WorkerPool(unsigned threads, std::size_t max_queued)
    : impl_(std::make_unique<Impl>(threads ? threads : std::max(1u, std::thread::hardware_concurrency()),
                                   std::max<std::size_t>(1, max_queued))) {}

WorkerPool::~WorkerPool() { join(); }

void WorkerPool::join() {
  impl_->closed = true;
  impl_->pool.join();
}

unsigned WorkerPool::threads() const { return impl_->threads; }
std::size_t WorkerPool::queued() const { return impl_->queued.load(); }

Task<Status> WorkerPool::run_erased(std::function<void()> work) {
  if (impl_->closed) co_return unavailable("worker pool stopped");
  if (impl_->queued.fetch_add(1) >= impl_->max_queued) {
    impl_->queued.fetch_sub(1);
    co_return unavailable("worker pool busy: " + std::to_string(impl_->max_queued) + " calls already wait");
  }
  struct Leave {
    std::atomic<std::size_t>& n;
    ~Leave() { n.fetch_sub(1); }
  } leave{impl_->queued};
  // Runs on a pool thread; co_await resumes this task on its own executor afterwards. Work still
  // queued when the pool is stopped is skipped, not run for an answer nobody will read.
  bool skipped = false;
  co_await asio::co_spawn(
      impl_->pool.get_executor(),
      [&work, &skipped, impl = impl_.get()]() -> asio::awaitable<void> {
        if (impl->closed) {
          skipped = true;
        } else {
          work();
        }
        co_return;
      },
      asio::use_awaitable);
  if (skipped) co_return unavailable("worker pool stopped");
  co_return Status::ok();
}

}  // namespace xacbe::net
