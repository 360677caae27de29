#pragma once
// A plain socket to 127.0.0.1, for what an HTTP client will not do: stay silent, send raw or partial
// bytes, read until the peer closes. Every read is bounded by a limit.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace xacbe::testing {

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  bool send(std::string_view data);

  struct Received {
    std::string data;
    bool closed = false;  // the peer closed (or reset) the connection within the limit
  };
  // Reads until the peer closes or `limit` has passed.
  Received read_until_closed(std::chrono::milliseconds limit);

 private:
  int fd_;
  bool connected_ = false;
};

}  // namespace xacbe::testing
