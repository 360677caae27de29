#pragma once
// What one side of one exchange gathers for its operational record (monitoring/operational_log.hpp)
// while the exchange runs: made when the request arrives, told what becomes known on the way, and
// finished once, where the side answers. Finishing only queues the record: it never waits and
// never fails, so the exchange's answer does not depend on it.

#include <cstddef>
#include <string>
#include <string_view>

#include "monitoring/operational_log.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/net/http.hpp"

namespace xacbe::ss {

class OperationalTrace {
 public:
  // An exchange arriving now on `side` of the server `own_server`, with a request body of
  // `request_bytes`. A null `log` records nothing.
  OperationalTrace(OperationalLog* log, const Clock& clock, RecordSide side, std::string_view own_server,
                   std::size_t request_bytes);

  // "<method> <path>" of the call to the provider's system (no query: it may hold personal data).
  void set_endpoint(std::string_view method, std::string_view path);
  // The client server's request id of the exchange.
  void set_request_id(std::string_view request_id);
  // The other side's security server: the provider's one the request was sent to (client side),
  // the client's one that sent it (provider side).
  void set_peer_server(std::string_view server_id);
  void set_represented_party(std::string_view party);

  // The exchange ended with `answer`, `result` being "ok" or the fault code's name; the fault side
  // is read from the answer's X-Xacbe-Error. Queues the record; a second call does nothing.
  void finish(std::string_view result, std::string_view client, std::string_view service, std::string_view message_id,
              const net::HttpResponse& answer);

 private:
  OperationalLog* log_;
  const Clock& clock_;
  OperationalRecord record_;
  bool finished_ = false;
};

}  // namespace xacbe::ss
