#include "admin/service_store.hpp"

#include "xacbe/store/database.hpp"

namespace xacbe::ss {
namespace {

constexpr std::string_view kModule = "admin-services";

// services: one row per service the API added; endpoints "METHOD /path" lines.
// access_rights: endpoint '' for the whole service and represented_party '' for any (2), so that
//   the UNIQUE constraint sees them (NULLs never collide).
const std::vector<std::string>& migrations() {
  static const std::vector<std::string> m = {R"sql(
CREATE TABLE services(
  id INTEGER PRIMARY KEY,
  service TEXT NOT NULL UNIQUE,
  url TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  timeout_ms INTEGER NOT NULL,
  endpoints TEXT NOT NULL);
CREATE TABLE access_rights(
  id INTEGER PRIMARY KEY,
  service TEXT NOT NULL,
  subject TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  UNIQUE(service, subject, endpoint));
)sql",
                                             // 2: a right may name the party its client calls for.
                                             R"sql(
CREATE TABLE access_rights_2(
  id INTEGER PRIMARY KEY,
  service TEXT NOT NULL,
  subject TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  represented_party TEXT NOT NULL DEFAULT '',
  UNIQUE(service, subject, endpoint, represented_party));
INSERT INTO access_rights_2(id, service, subject, endpoint) SELECT id, service, subject, endpoint FROM access_rights;
DROP TABLE access_rights;
ALTER TABLE access_rights_2 RENAME TO access_rights;
)sql",
                                             // 3: how the information system is called.
                                             R"sql(
ALTER TABLE services ADD COLUMN protocol TEXT NOT NULL DEFAULT 'rest';
)sql",
                                             // 4: the service's description document (metaservices), '' for none.
                                             R"sql(
ALTER TABLE services ADD COLUMN description_url TEXT NOT NULL DEFAULT '';
)sql",
                                             // 5: a service's minimum access level (access/access_level.hpp); '' for none.
                                             R"sql(
ALTER TABLE services ADD COLUMN minimum_level TEXT NOT NULL DEFAULT '';
)sql"};
  return m;
}

std::string endpoint_text(const std::optional<Endpoint>& endpoint) { return endpoint ? to_string(*endpoint) : ""; }

Result<ServiceProtocol> stored_protocol(const std::string& text) {
  auto p = parse_service_protocol(text);
  if (!p) return internal_error("stored service protocol is neither rest nor soap");
  return *p;
}

// A row the store wrote itself; one that does not parse was changed behind the server's back.
Result<Endpoint> stored_endpoint(const std::string& text) {
  auto e = parse_endpoint(text);
  if (!e.is_ok()) return internal_error("stored endpoint does not parse: " + e.status().message());
  return e;
}

Result<id::ServiceId> stored_service(const std::string& text) {
  auto s = id::ServiceId::parse(text);
  if (!s.is_ok()) return internal_error("stored service id does not parse: " + s.status().message());
  return s;
}

}  // namespace

ServiceStore::ServiceStore(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}
ServiceStore::~ServiceStore() = default;

Result<std::unique_ptr<ServiceStore>> ServiceStore::open(const std::string& path) {
  XACBE_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db, store::Database::open(path));
  XACBE_RETURN_IF_ERROR(db->migrate(kModule, migrations()));
  return std::unique_ptr<ServiceStore>(new ServiceStore(std::move(db)));
}

Result<std::vector<ServiceDefinition>> ServiceStore::services() {
  XACBE_ASSIGN_OR_RETURN(store::Statement q,
                         db_->prepare("SELECT service, url, enabled, timeout_ms, endpoints, protocol, description_url,"
                                      " minimum_level FROM services ORDER BY id"));
  std::vector<ServiceDefinition> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    XACBE_ASSIGN_OR_RETURN(id::ServiceId service, stored_service(q.column_text(0)));
    ServiceDefinition d{std::move(service), q.column_text(1), q.column_int64(2) != 0,
                        std::chrono::milliseconds(q.column_int64(3)), {}};
    XACBE_ASSIGN_OR_RETURN(d.protocol, stored_protocol(q.column_text(5)));
    d.description_url = q.column_text(6);
    d.minimum_level = q.column_text(7);
    const std::string endpoints = q.column_text(4);
    for (std::size_t start = 0; start < endpoints.size();) {
      const std::size_t end = std::min(endpoints.find('\n', start), endpoints.size());
      XACBE_ASSIGN_OR_RETURN(Endpoint e, stored_endpoint(endpoints.substr(start, end - start)));
      d.endpoints.push_back(std::move(e));
      start = end + 1;
    }
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<AccessRight>> ServiceStore::rights() {
  XACBE_ASSIGN_OR_RETURN(store::Statement q, db_->prepare("SELECT service, subject, endpoint, represented_party FROM access_rights ORDER BY id"));
  std::vector<AccessRight> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    XACBE_ASSIGN_OR_RETURN(id::ServiceId service, stored_service(q.column_text(0)));
    AccessRight r{std::move(service), q.column_text(1), std::nullopt, q.column_text(3)};
    if (const std::string e = q.column_text(2); !e.empty()) {
      XACBE_ASSIGN_OR_RETURN(r.endpoint, stored_endpoint(e));
    }
    out.push_back(std::move(r));
  }
  return out;
}

Status ServiceStore::add_service(const ServiceDefinition& service) {
  std::string endpoints;
  for (const auto& e : service.endpoints) {
    if (!endpoints.empty()) endpoints += '\n';
    endpoints += to_string(e);
  }
  XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                         db_->prepare("INSERT INTO services(service, url, enabled, timeout_ms, endpoints, protocol,"
                                      " description_url, minimum_level) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)"));
  insert.bind(1, service.service.to_string()).bind(2, service.url).bind(3, std::int64_t{service.enabled ? 1 : 0});
  insert.bind(4, static_cast<std::int64_t>(service.timeout.count())).bind(5, endpoints);
  insert.bind(6, std::string(service_protocol_name(service.protocol))).bind(7, service.description_url);
  insert.bind(8, service.minimum_level);
  return insert.run();
}

Result<bool> ServiceStore::remove_service(const id::ServiceId& service) {
  XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(*db_));
  XACBE_ASSIGN_OR_RETURN(store::Statement rights, db_->prepare("DELETE FROM access_rights WHERE service = ?1"));
  rights.bind(1, service.to_string());
  XACBE_RETURN_IF_ERROR(rights.run());
  XACBE_ASSIGN_OR_RETURN(store::Statement remove, db_->prepare("DELETE FROM services WHERE service = ?1"));
  remove.bind(1, service.to_string());
  XACBE_RETURN_IF_ERROR(remove.run());
  const bool removed = db_->changes() > 0;
  XACBE_RETURN_IF_ERROR(tx.commit());
  return removed;
}

Status ServiceStore::add_right(const AccessRight& right) {
  XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                         db_->prepare("INSERT INTO access_rights(service, subject, endpoint, represented_party)"
                                      " VALUES(?1,?2,?3,?4)"));
  insert.bind(1, right.service.to_string()).bind(2, right.subject).bind(3, endpoint_text(right.endpoint));
  insert.bind(4, right.represented_party);
  return insert.run();
}

Result<bool> ServiceStore::remove_right(const AccessRight& right) {
  XACBE_ASSIGN_OR_RETURN(store::Statement remove,
                         db_->prepare("DELETE FROM access_rights WHERE service = ?1 AND subject = ?2 AND endpoint = ?3"
                                      " AND represented_party = ?4"));
  remove.bind(1, right.service.to_string()).bind(2, right.subject).bind(3, endpoint_text(right.endpoint));
  remove.bind(4, right.represented_party);
  XACBE_RETURN_IF_ERROR(remove.run());
  return db_->changes() > 0;
}

}  // namespace xacbe::ss
