#include "xacbe/net/http_client.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <deque>
#include <map>
#include <optional>
#include <mutex>
#include <thread>
#include <vector>

#include "client_connection.hpp"

namespace xacbe::net {

namespace asio = boost::asio;
using detail::ClientConnection;
using detail::Deadline;
using Steady = std::chrono::steady_clock;

namespace {

// One destination's connections: `total` exist, the idle ones wait in `idle` (most recent last).
struct Destination {
  std::deque<std::unique_ptr<ClientConnection>> idle;
  std::size_t total = 0;
  std::deque<std::shared_ptr<asio::steady_timer>> waiters;  // calls waiting for a connection
};

// A connection made with one TLS generation serves only calls of that generation: after a reload
// (or with another context) calls get new connections.
std::string destination_key(const Url& url, const ClientOptions& options) {
  return std::string(url.tls ? "https://" : "http://") + url.host + ":" + std::to_string(url.port) + "|" +
         (options.tls ? std::to_string(options.tls->generation_id()) : "-") + "|" + options.peer.key();
}

// RFC 7231 section 4.2.2: a request that may be sent again without changing its effect.
bool is_idempotent(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
}

}  // namespace

struct HttpClient::Impl {
  explicit Impl(PoolOptions o) : options(o), guard(asio::make_work_guard(ioc)) {}
  const PoolOptions options;
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> guard;
  std::vector<std::thread> threads;

  std::atomic<std::uint64_t> opened{0}, handshakes{0}, reused{0}, retried{0};
  mutable std::mutex mu;
  std::map<std::string, Destination> destinations;  // guarded by mu

  // A connection for `key`: an idle one (reused = true), or a slot to open a new one (null), or an
  // error when the deadline passes while every allowed connection is busy.
  Task<Result<std::unique_ptr<ClientConnection>>> acquire(const std::string& key, Deadline deadline, bool& reused) {
    for (;;) {
      std::shared_ptr<asio::steady_timer> waiter;
      {
        std::lock_guard lock(mu);
        Destination& d = destinations[key];
        const auto now = Steady::now();
        drop_expired(d, now);
        while (!d.idle.empty()) {
          auto conn = std::move(d.idle.back());
          d.idle.pop_back();
          if (conn->looks_closed()) {  // closed by the server while idle
            --d.total;
            continue;
          }
          reused = true;
          co_return conn;
        }
        if (d.total < options.max_per_destination) {
          ++d.total;
          reused = false;
          co_return std::unique_ptr<ClientConnection>();
        }
        waiter = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, deadline);
        d.waiters.push_back(waiter);
      }
      boost::system::error_code ec;
      co_await waiter->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec != asio::error::operation_aborted) {  // the deadline, not a release, woke us
        std::lock_guard lock(mu);
        auto& waiters = destinations[key].waiters;
        const auto it = std::find(waiters.begin(), waiters.end(), waiter);
        if (it != waiters.end()) {
          waiters.erase(it);
        } else {
          wake_one(waiters);  // a release chose us just as the deadline passed: pass it on
        }
        co_return Status(Code::kDeadlineExceeded, "no connection to the destination became free in time");
      }
    }
  }

  // Gives a connection back (null or not reusable: it is closed) and wakes one waiting call.
  void release(const std::string& key, std::unique_ptr<ClientConnection> conn) {
    std::lock_guard lock(mu);
    Destination& d = destinations[key];
    if (conn) {
      conn->idle_since = Steady::now();
      d.idle.push_back(std::move(conn));
    } else {
      --d.total;
    }
    wake_one(d.waiters);
  }

  // Needs mu held.
  void drop_expired(Destination& d, Steady::time_point now) {
    while (!d.idle.empty() && now - d.idle.front()->idle_since > options.idle_expiry) {
      d.idle.pop_front();
      --d.total;
    }
  }

  // Closes idle connections past their expiry everywhere, so that a destination no longer called
  // keeps no sockets; forgets destinations with nothing left.
  Task<void> sweep_idle() {
    asio::steady_timer timer(ioc);
    for (;;) {
      timer.expires_after(std::max<std::chrono::milliseconds>(options.idle_expiry / 2, std::chrono::milliseconds(100)));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      std::lock_guard lock(mu);
      const auto now = Steady::now();
      for (auto it = destinations.begin(); it != destinations.end();) {
        drop_expired(it->second, now);
        it = it->second.total == 0 && it->second.waiters.empty() ? destinations.erase(it) : std::next(it);
      }
    }
  }

  // Needs mu held.
  static void wake_one(std::deque<std::shared_ptr<asio::steady_timer>>& waiters) {
    if (waiters.empty()) return;
    auto waiter = std::move(waiters.front());
    waiters.pop_front();
    asio::post(waiter->get_executor(), [waiter] { waiter->cancel(); });
  }

  // Holds one of a destination's connection slots; gives it back however the call ends.
  struct Slot {
    Impl& impl;
    const std::string& key;
    std::unique_ptr<ClientConnection> conn;  // null: the slot is free to open one
    bool held = true;
    void release(bool reusable) {
      impl.release(key, reusable ? std::move(conn) : nullptr);
      held = false;
    }
    ~Slot() {
      if (held) impl.release(key, nullptr);
    }
  };

  Task<Result<HttpResponse>> call(std::string url_text, HttpRequest request, ClientOptions options) {
    XACBE_CO_ASSIGN_OR_RETURN(Url url, parse_url(url_text));
    const Deadline deadline = Steady::now() + options.timeout;
    const std::string key = destination_key(url, options);
    auto executor = co_await asio::this_coro::executor;
    // Only a request that may be repeated is sent again when a kept connection turns out closed.
    const bool may_retry = is_idempotent(request.method);
    for (int attempt = 0;; ++attempt) {
      bool was_idle = false;
      auto acquired = co_await acquire(key, deadline, was_idle);
      if (!acquired) co_return acquired.status();
      Slot slot{*this, key, std::move(*acquired)};
      if (!slot.conn) {
        slot.conn = std::make_unique<ClientConnection>(executor);
        Status opened_status = co_await slot.conn->open(url, options, deadline);
        if (!opened_status.is_ok()) co_return opened_status;
        ++opened;
        if (slot.conn->tls()) ++handshakes;
      } else {
        ++reused;
      }
      const bool retry_possible = may_retry && was_idle && attempt == 0;
      HttpRequest sent;
      if (retry_possible) {
        sent = request;  // a copy stays for the second attempt
      } else {
        sent = std::move(request);
      }
      auto outcome = co_await slot.conn->exchange(url, std::move(sent), {options.body_limit, options.header_limit}, deadline, true);
      if (!outcome.response && retry_possible && outcome.nothing_received) {
        ++retried;
        continue;  // the slot's destructor closes the dead connection
      }
      slot.release(outcome.reusable);
      co_return std::move(outcome.response);
    }
  }

  // co_spawn needs a default-constructible result; Result<T> is not.
  Task<std::optional<Result<HttpResponse>>> boxed_call(std::string url, HttpRequest request, ClientOptions options) {
    co_return co_await call(std::move(url), std::move(request), std::move(options));
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::shared_ptr<HttpClient> HttpClient::create(PoolOptions options) {
  options.max_per_destination = std::max<std::size_t>(1, options.max_per_destination);
  options.threads = std::max(1u, options.threads);
  auto impl = std::make_unique<Impl>(options);
  asio::co_spawn(impl->ioc, impl->sweep_idle(), asio::detached);
  for (unsigned i = 0; i < options.threads; ++i) impl->threads.emplace_back([ioc = &impl->ioc] { ioc->run(); });
  return std::shared_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpClient::~HttpClient() {
  impl_->guard.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  std::lock_guard lock(impl_->mu);
  impl_->destinations.clear();  // closes idle connections before the io_context goes
}

Task<Result<HttpResponse>> HttpClient::request(std::string url, HttpRequest request, ClientOptions options) {
  auto boxed = co_await asio::co_spawn(asio::make_strand(impl_->ioc),
                                       impl_->boxed_call(std::move(url), std::move(request), std::move(options)),
                                       asio::use_awaitable);
  co_return std::move(*boxed);
}

Result<HttpResponse> HttpClient::request_blocking(std::string url, HttpRequest request, ClientOptions options) {
  return *asio::co_spawn(asio::make_strand(impl_->ioc),
                         impl_->boxed_call(std::move(url), std::move(request), std::move(options)), asio::use_future)
              .get();
}

ClientStats HttpClient::stats() const {
  return {impl_->opened.load(), impl_->handshakes.load(), impl_->reused.load(), impl_->retried.load()};
}

std::size_t HttpClient::idle_connections() const {
  std::lock_guard lock(impl_->mu);
  std::size_t n = 0;
  for (const auto& [key, d] : impl_->destinations) n += d.idle.size();
  return n;
}

Result<HttpResponse> http_request(const std::string& url_text, HttpRequest request, const ClientOptions& options) {
  XACBE_ASSIGN_OR_RETURN(Url url, parse_url(url_text));
  asio::io_context ioc;
  auto exchange = [&]() -> Task<std::optional<Result<HttpResponse>>> {
    const Deadline deadline = Steady::now() + options.timeout;
    ClientConnection conn(ioc.get_executor());
    Status opened = co_await conn.open(url, options, deadline);
    if (!opened.is_ok()) co_return Result<HttpResponse>(std::move(opened));
    auto outcome = co_await conn.exchange(url, std::move(request), {options.body_limit, options.header_limit}, deadline, false);
    co_return std::move(outcome.response);
  };
  auto result = asio::co_spawn(ioc, exchange(), asio::use_future);
  ioc.run();
  return *result.get();
}

}  // namespace xacbe::net
