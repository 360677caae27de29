#include "monitoring/operational_trace.hpp"

#include <algorithm>

namespace xacbe::ss {
namespace {

// Text from the exchange is cut here already, so that a huge value is not copied around before
// OperationalLog::record bounds it for good.
std::string capped(std::string_view text, std::size_t max) {
  return std::string(text.substr(0, std::min(text.size(), max + 4)));
}

}  // namespace

OperationalTrace::OperationalTrace(OperationalLog* log, const Clock& clock, RecordSide side,
                                   std::string_view own_server, std::size_t request_bytes)
    : log_(log), clock_(clock) {
  if (log_ == nullptr) return;
  record_.side = side;
  record_.time_in = clock.now();
  record_.request_bytes = static_cast<std::int64_t>(request_bytes);
  (side == RecordSide::kClient ? record_.client_server : record_.provider_server) =
      capped(own_server, kMaxOperationalIdentifierBytes);
}

void OperationalTrace::set_endpoint(std::string_view method, std::string_view path) {
  if (log_ == nullptr) return;
  std::string endpoint = capped(method, 32);
  endpoint += ' ';
  endpoint += capped(path, kMaxEndpointBytes);
  record_.endpoint = std::move(endpoint);
}

void OperationalTrace::set_request_id(std::string_view request_id) {
  if (log_ != nullptr) record_.request_id = capped(request_id, kMaxOperationalMessageIdBytes);
}

void OperationalTrace::set_peer_server(std::string_view server_id) {
  if (log_ == nullptr) return;
  (record_.side == RecordSide::kClient ? record_.provider_server : record_.client_server) =
      capped(server_id, kMaxOperationalIdentifierBytes);
}

void OperationalTrace::set_represented_party(std::string_view party) {
  if (log_ != nullptr) record_.represented_party = capped(party, kMaxOperationalIdentifierBytes);
}

void OperationalTrace::finish(std::string_view result, std::string_view client, std::string_view service,
                              std::string_view message_id, const net::HttpResponse& answer) {
  if (log_ == nullptr || finished_) return;
  finished_ = true;
  record_.time_out = clock_.now();
  record_.result = capped(result, kMaxResultBytes);
  record_.client = capped(client, kMaxOperationalIdentifierBytes);
  record_.service = capped(service, kMaxOperationalIdentifierBytes);
  record_.message_id = capped(message_id, kMaxOperationalMessageIdBytes);
  record_.http_status = answer.status;
  record_.response_bytes = static_cast<std::int64_t>(answer.body.size());
  if (result != "ok") {
    // X-Xacbe-Error: "<side>.<code>" (exchange/fault.hpp).
    const std::string error = answer.header("X-Xacbe-Error");
    record_.fault_side = capped(std::string_view(error).substr(0, error.find('.')), kMaxFaultSideBytes);
  }
  log_->record(std::move(record_));
}

}  // namespace xacbe::ss
