#include "admin/register_routes.hpp"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <utility>

#include "audit/evidence_container.hpp"
#include "register/register_time.hpp"
#include "xacbe/api/json.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::ss {
namespace {

using api::Json;

constexpr std::int64_t kDefaultLimit = 100;
constexpr std::int64_t kMaxLimit = 1000;

// The query's parameters, decoded; a name not in `allowed`, a repeated name or an empty value is
// refused, so that a misspelt filter never widens a search silently.
Result<std::map<std::string, std::string>> query_params(const api::ApiCall& call,
                                                        std::initializer_list<const char*> allowed) {
  std::map<std::string, std::string> out;
  for (std::size_t start = 0; start < call.query.size();) {
    const std::size_t end = std::min(call.query.find('&', start), call.query.size());
    const std::string pair = call.query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string name = pair.substr(0, eq);
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return name == a; })) {
      return invalid_argument("unknown query parameter '" + excerpt(name, 32) + "'");
    }
    // AdminApi::handle refused a query that does not decode before any handler ran.
    auto value = crypto::percent_decode(eq == std::string::npos ? "" : pair.substr(eq + 1));
    if (!value.is_ok() || value->empty()) return invalid_argument("query parameter '" + name + "' needs a value");
    if (!out.emplace(name, std::move(value).value()).second) {
      return invalid_argument("query parameter '" + name + "' is given twice");
    }
  }
  return out;
}

Result<std::int64_t> limit_param(const std::map<std::string, std::string>& q) {
  const auto it = q.find("limit");
  if (it == q.end()) return kDefaultLimit;
  XACBE_ASSIGN_OR_RETURN(std::int64_t limit, api::parse_id(it->second, "limit", kMaxLimit));
  if (limit < 1) return invalid_argument("limit must be 1 to 1000");
  return limit;
}

Result<std::int64_t> after_param(const std::map<std::string, std::string>& q) {
  const auto it = q.find("after");
  return it == q.end() ? Result<std::int64_t>(std::int64_t{0}) : api::parse_id(it->second, "after");
}

Status bounded(const std::string& name, const std::string& value, std::size_t max) {
  if (value.size() > max) return invalid_argument(name + " is longer than " + std::to_string(max) + " bytes");
  return Status::ok();
}

Result<TimePoint> time_param(const std::string& name, const std::string& value) {
  auto t = globalconf::parse_time(value);
  if (!t.is_ok()) return invalid_argument(name + " must be a UTC time YYYY-MM-DDTHH:MM:SSZ");
  return TimePoint(t->time_since_epoch());
}

// GET /api/v1/register/records: every filter checked by the rule of what it matches.
Result<RecordFilter> search_filter(const api::ApiCall& call) {
  XACBE_ASSIGN_OR_RETURN(auto q, query_params(call, {"message_id", "request_id", "client", "service", "user_id",
                                                     "represented_party", "side", "kind", "result", "from", "until",
                                                     "after", "limit"}));
  RecordFilter f;
  const auto text = [&](const char* name, std::size_t max, std::optional<std::string>& into) -> Status {
    if (const auto it = q.find(name); it != q.end()) {
      XACBE_RETURN_IF_ERROR(bounded(name, it->second, max));
      into = it->second;
    }
    return Status::ok();
  };
  XACBE_RETURN_IF_ERROR(text("message_id", kMaxMessageIdBytes, f.message_id));
  XACBE_RETURN_IF_ERROR(text("request_id", kMaxRequestIdBytes, f.request_id));
  XACBE_RETURN_IF_ERROR(text("user_id", kMaxUserIdBytes, f.user_id));
  XACBE_RETURN_IF_ERROR(text("client", kMaxIdentifierBytes, f.client));
  XACBE_RETURN_IF_ERROR(text("service", kMaxIdentifierBytes, f.service));
  XACBE_RETURN_IF_ERROR(text("represented_party", kMaxIdentifierBytes, f.represented_party));
  if (f.represented_party && !id::MemberId::parse(*f.represented_party).is_ok()) {
    return invalid_argument("represented_party is not a member id");
  }
  if (f.client && !id::ClientId::parse(*f.client).is_ok()) return invalid_argument("client is not a client id");
  if (f.service && !id::ServiceId::parse(*f.service).is_ok()) return invalid_argument("service is not a service id");
  if (const auto it = q.find("side"); it != q.end()) {
    auto side = parse_side(it->second);
    if (!side.is_ok()) return invalid_argument("side must be client or provider");
    f.side = *side;
  }
  if (const auto it = q.find("kind"); it != q.end()) {
    auto kind = parse_kind(it->second);
    if (!kind.is_ok()) return invalid_argument("kind must be request or response");
    f.kind = *kind;
  }
  if (const auto it = q.find("result"); it != q.end()) {
    if (it->second == "success") {
      f.result = RecordResult::kSuccess;
    } else if (it->second == "failure") {
      f.result = RecordResult::kFailure;
    } else if (it->second == "unanswered") {
      f.result = RecordResult::kUnanswered;
    } else {
      return invalid_argument("result must be success, failure or unanswered");
    }
  }
  if (const auto it = q.find("from"); it != q.end()) {
    XACBE_ASSIGN_OR_RETURN(f.from, time_param("from", it->second));
  }
  if (const auto it = q.find("until"); it != q.end()) {
    XACBE_ASSIGN_OR_RETURN(f.until, time_param("until", it->second));
  }
  if (f.from && f.until && *f.from >= *f.until) return invalid_argument("from must be before until");
  XACBE_ASSIGN_OR_RETURN(f.after_seq, after_param(q));
  XACBE_ASSIGN_OR_RETURN(std::int64_t limit, limit_param(q));
  f.limit = static_cast<int>(limit);
  f.max_examined = kMaxExaminedPerSearch;
  return f;
}

std::string hex(const std::string& bytes) {
  return crypto::to_hex(bytes);
}

// The HTTP status of a response record, from its head (exchange/message.hpp ResponseHead).
Json response_status(const Record& r) {
  if (r.kind != RecordKind::kResponse) return nullptr;
  const Json head = Json::parse(r.head, nullptr, false);
  if (head.is_object() && head.contains("status") && head["status"].is_number_integer()) return head["status"];
  return nullptr;
}

// The party a request record's client called on behalf of, from its head; null when none.
Json represented_party(const Record& r) {
  if (r.kind != RecordKind::kRequest) return nullptr;
  const Json head = Json::parse(r.head, nullptr, false);
  if (head.is_object() && head.contains("represented_party") && head["represented_party"].is_string()) {
    return head["represented_party"];
  }
  return nullptr;
}

Json metadata_json(const Record& r) {
  return {{"seq", r.seq},
          {"created_at", to_iso8601_utc(r.created_at)},
          {"created_at_ms", to_unix_millis(r.created_at)},
          {"side", side_name(r.side)},
          {"kind", kind_name(r.kind)},
          {"message_id", r.message_id},
          {"request_id", r.request_id},
          {"client", r.client},
          {"service", r.service},
          {"user_id", r.user_id},
          {"represented_party", represented_party(r)},
          {"status", response_status(r)},
          {"head_sha256", hex(r.head_sha256)},
          {"body_sha256", hex(r.body_sha256)},
          {"estamp_sha256", hex(r.estamp_sha256)},
          {"hash", hex(r.hash)},
          {"prev_hash", hex(r.prev_hash)},
          {"ocsp_produced_at", to_iso8601_utc(r.ocsp_produced_at)},
          {"deadline", to_iso8601_utc(r.deadline)},
          {"timestamped", r.batch_id.has_value()},
          {"batch_id", r.batch_id ? Json(*r.batch_id) : Json(nullptr)},
          {"deadline_missed", r.deadline_missed}};
}

// Bytes as JSON: the text itself when it is UTF-8, base64 otherwise; `<name>_encoding` says which.
void put_bytes(Json& j, const std::string& name, const std::optional<std::string>& bytes) {
  if (!bytes) {
    j[name] = nullptr;
    j[name + "_encoding"] = nullptr;
  } else if (is_utf8(*bytes)) {
    j[name] = *bytes;
    j[name + "_encoding"] = "utf-8";
  } else {
    j[name] = crypto::base64_encode(*bytes);
    j[name + "_encoding"] = "base64";
  }
}

Json record_json(const Record& r) {
  Json j = metadata_json(r);
  put_bytes(j, "head", r.head);
  put_bytes(j, "body", r.body);
  put_bytes(j, "estamp", r.estamp);
  return j;
}

Json access_json(const StoredRegisterAccess& e) {
  return {{"id", e.id},
          {"at", to_iso8601_utc(e.at)},
          {"user", e.access.user},
          {"role", e.access.role},
          {"peer", e.access.peer},
          {"action", e.access.action},
          {"detail", e.access.detail},
          {"outcome", e.access.outcome},
          {"record_count", e.record_count},
          {"first_seq", e.first_seq ? Json(*e.first_seq) : Json(nullptr)},
          {"last_seq", e.last_seq ? Json(*e.last_seq) : Json(nullptr)},
          {"seqs", e.access.seqs}};
}

const std::vector<id::MemberId>* designation(const RegisterReaders& readers, const api::ApiCall& call) {
  const auto it = readers.find(call.user->name);
  return it == readers.end() ? nullptr : &it->second;
}

net::HttpResponse not_designated() {
  return api::error_response(permission_denied("not designated to read the query register"));
}

// The answer of a read whose entry could not be written: nothing is served unrecorded.
net::HttpResponse unrecorded(const Status& st) {
  log::error("register access not recorded, read refused: {}", st.to_string());
  return api::error_response(unavailable("the read cannot be recorded in the register access log; try again later"));
}

net::HttpResponse search(const QueryRegister& reg, RegisterAccessLog& accesses, const RegisterReaders& readers,
                         const api::ApiCall& call) {
  const auto* members = designation(readers, call);
  if (members == nullptr) {
    (void)record_register_access(accesses, call, kRegisterSearch, call.query, {}, "denied");
    return not_designated();
  }
  auto filter = search_filter(call);
  if (!filter.is_ok()) return api::error_response(filter.status());
  filter->members = *members;
  auto page = reg.find_page(*filter);
  if (!page.is_ok()) return api::error_response(page.status());
  Json list = Json::array();
  std::vector<std::int64_t> seqs;
  std::size_t bytes = 0;
  bool more = page->more;
  std::int64_t next_after = page->next_after;
  for (const Record& r : page->records) {
    Json j = metadata_json(r);
    bytes += j.dump().size() + 1;
    if (bytes > kMaxRecordPageBytes && !list.empty()) {
      more = true;
      next_after = seqs.back();
      break;
    }
    seqs.push_back(r.seq);
    list.push_back(std::move(j));
  }
  Status recorded = record_register_access(accesses, call, kRegisterSearch, call.query, seqs);
  if (!recorded.is_ok()) return unrecorded(recorded);
  return api::json_response(200, {{"records", std::move(list)}, {"more", more}, {"next_after", next_after}});
}

net::HttpResponse read(const QueryRegister& reg, RegisterAccessLog& accesses, const RegisterReaders& readers,
                       const api::ApiCall& call) {
  const std::string detail = "seq " + excerpt(call.params[0], 32);
  const auto* members = designation(readers, call);
  if (members == nullptr) {
    (void)record_register_access(accesses, call, kRegisterRead, detail, {}, "denied");
    return not_designated();
  }
  auto seq = api::parse_id(call.params[0], "seq");
  if (!seq.is_ok()) return api::error_response(seq.status());
  auto record = reg.get(*seq);
  if (!record.is_ok() && record.status().code() != Code::kNotFound) return api::error_response(record.status());
  // Another member's record is absent for this reader, in the answer and in the log alike.
  const bool readable = record.is_ok() && std::any_of(members->begin(), members->end(), [&](const id::MemberId& m) {
                          return record_belongs_to(*record, m);
                        });
  if (!readable) {
    Status recorded = record_register_access(accesses, call, kRegisterRead, detail, {}, "not-found");
    if (!recorded.is_ok()) return unrecorded(recorded);
    return api::error_response(not_found("no record " + std::to_string(*seq) + " in the query register"));
  }
  Status recorded = record_register_access(accesses, call, kRegisterRead, detail, {*seq});
  if (!recorded.is_ok()) return unrecorded(recorded);
  return api::json_response(200, record_json(*record));
}

// Administrators see every entry; a designated reader who is not one sees its own.
net::HttpResponse list_accesses(RegisterAccessLog& accesses, const RegisterReaders& readers, const api::ApiCall& call) {
  const bool administrator = call.user->role == api::Role::kAdministrator;
  if (!administrator && designation(readers, call) == nullptr) {
    return api::error_response(
        permission_denied("only administrators and designated register readers read the access log"));
  }
  auto q = query_params(call, {"after", "limit"});
  if (!q.is_ok()) return api::error_response(q.status());
  auto after = after_param(*q);
  if (!after.is_ok()) return api::error_response(after.status());
  auto limit = limit_param(*q);
  if (!limit.is_ok()) return api::error_response(limit.status());
  auto page = accesses.list(*after, static_cast<int>(*limit),
                            administrator ? std::nullopt : std::optional<std::string>(call.user->name));
  if (!page.is_ok()) return api::error_response(page.status());
  Json list = Json::array();
  for (const auto& e : page->entries) list.push_back(access_json(e));
  return api::json_response(200, {{"accesses", std::move(list)}, {"more", page->more}});
}

// GET /api/v1/register/export?client=…&message_id=…: the reader's records of one exchange as an
// evidence container (docs/protocol/evidence-container.md).
net::HttpResponse export_container(const QueryRegister& reg, RegisterAccessLog& accesses,
                                   const RegisterReaders& readers, const std::string& server_id, const Clock& clock,
                                   const api::ApiCall& call) {
  const auto* members = designation(readers, call);
  if (members == nullptr) {
    (void)record_register_access(accesses, call, kRegisterExport, call.query, {}, "denied");
    return not_designated();
  }
  auto q = query_params(call, {"client", "message_id"});
  if (!q.is_ok()) return api::error_response(q.status());
  if (!q->count("client") || !q->count("message_id")) {
    return api::error_response(invalid_argument("client and message_id name the exchange to export"));
  }
  ExportRequest request{q->at("client"), q->at("message_id"), server_id, call.user->name, *members};
  if (Status st = bounded("client", request.client, kMaxIdentifierBytes); !st.is_ok()) return api::error_response(st);
  if (Status st = bounded("message_id", request.message_id, kMaxMessageIdBytes); !st.is_ok()) {
    return api::error_response(st);
  }
  auto exported = export_exchange(reg, request, clock.now());
  if (!exported.is_ok()) {
    const bool absent = exported.status().code() == Code::kNotFound;
    Status recorded = record_register_access(accesses, call, kRegisterExport, call.query, {}, absent ? "not-found" : "refused");
    if (!recorded.is_ok()) return unrecorded(recorded);
    return api::error_response(exported.status());
  }
  Status recorded = record_register_access(accesses, call, kRegisterExport, call.query, exported->seqs);
  if (!recorded.is_ok()) return unrecorded(recorded);
  net::HttpResponse out = net::HttpResponse::make(200, kEvidenceMediaType, std::move(exported->zip));
  out.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"exchange-" + std::to_string(exported->seqs.front()) + ".zip\"");
  return out;
}

}  // namespace

Result<std::map<std::string, std::string>> admin_query_params(const api::ApiCall& call,
                                                              std::initializer_list<const char*> allowed) {
  return query_params(call, allowed);
}

Status record_register_access(RegisterAccessLog& log, const api::ApiCall& call, const std::string& action,
                              const std::string& detail, std::vector<std::int64_t> seqs, const std::string& outcome) {
  RegisterAccess a;
  a.user = call.user != nullptr ? call.user->name : "";
  a.role = call.user != nullptr ? api::role_name(call.user->role) : "";
  a.peer = call.peer;
  a.action = action;
  a.detail = detail;
  a.outcome = outcome;
  a.seqs = std::move(seqs);
  return log.record(a);
}

void add_register_routes(api::AdminApi& api, const QueryRegister& reg, RegisterAccessLog& accesses,
                         const RegisterReaders& readers) {
  api.add({"GET", "/api/v1/register/records", false,
           [&reg, &accesses, &readers](const api::ApiCall& call) { return search(reg, accesses, readers, call); }});
  api.add({"GET", "/api/v1/register/records/{seq}", false,
           [&reg, &accesses, &readers](const api::ApiCall& call) { return read(reg, accesses, readers, call); }});
  api.add({"GET", "/api/v1/register/accesses", false,
           [&accesses, &readers](const api::ApiCall& call) { return list_accesses(accesses, readers, call); }});
}

void add_export_route(api::AdminApi& api, const QueryRegister& reg, RegisterAccessLog& accesses,
                      const RegisterReaders& readers, const std::string& server_id, const Clock& clock) {
  api.add({"GET", "/api/v1/register/export", false, [&reg, &accesses, &readers, server_id, &clock](const api::ApiCall& call) {
             return export_container(reg, accesses, readers, server_id, clock, call);
           }});
}

}  // namespace xacbe::ss
