#pragma once
// A member's information system as end-to-end tests mock it (outside the system under test): an
// HTTP server on a free 127.0.0.1 port that answers each call with `handler`, by default 200 and
// "{}". The handler runs on the server's thread; it must guard what it shares with the test.

#include <functional>
#include <memory>
#include <string>

#include "xacbe/net/http.hpp"

namespace xacbe::net {
class HttpServer;
}

namespace xacbe::testing {

class InformationSystemMock {
 public:
  using Handler = std::function<net::HttpResponse(const net::HttpRequest&)>;

  // Throws when the server cannot start.
  explicit InformationSystemMock(Handler handler = {});
  ~InformationSystemMock();
  InformationSystemMock(const InformationSystemMock&) = delete;
  InformationSystemMock& operator=(const InformationSystemMock&) = delete;

  std::string url() const;  // "http://127.0.0.1:PORT"

 private:
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace xacbe::testing
