#include "xacbe/net/async.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <optional>
#include <string>
#include <thread>

namespace xacbe::net {
namespace {

// The operation completes on a thread of its own; the task resumes on its io_context's thread.
TEST(AwaitCompletion, ResumesOnOwnExecutorWithTheValueFromAnotherThread) {
  boost::asio::io_context io;
  std::thread worker;
  std::thread::id resumed_on;
  std::optional<Result<std::string>> r;
  auto task = [&]() -> Task<void> {
    auto start = [&](auto done) { worker = std::thread([done = std::move(done)] { done(std::string("signed")); }); };
    r.emplace(co_await await_completion<Result<std::string>>(std::move(start)));
    resumed_on = std::this_thread::get_id();
  };
  auto future = boost::asio::co_spawn(io, task(), boost::asio::use_future);
  io.run();
  worker.join();
  future.get();
  ASSERT_TRUE(r && r->is_ok());
  EXPECT_EQ(**r, "signed");
  EXPECT_EQ(resumed_on, std::this_thread::get_id());
}

TEST(AwaitCompletion, CarriesAnError) {
  boost::asio::io_context io;
  Status st;
  auto task = [&]() -> Task<void> {
    auto start = [](auto done) { done(unavailable("queue full")); };
    st = co_await await_completion<Status>(std::move(start));
  };
  auto future = boost::asio::co_spawn(io, task(), boost::asio::use_future);
  io.run();
  future.get();
  EXPECT_EQ(st.code(), Code::kUnavailable);
  EXPECT_EQ(st.message(), "queue full");
}

}  // namespace
}  // namespace xacbe::net
