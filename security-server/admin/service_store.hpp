#pragma once
// The services and access rights added through the admin API, kept in a small SQLite file of
// their own (security_server.admin_database: WAL, schema module "admin-services"), so that the
// configuration file stays the operator's and a restart keeps what the API added. The store only
// keeps; whether a change is allowed is ServiceAdmin's (service_admin.hpp) rule.
//
// Not thread-safe: one connection, serialised by its owner.

#include <memory>
#include <string>
#include <vector>

#include "access/service_catalog.hpp"
#include "xacbe/result.hpp"

namespace xacbe::store {
class Database;
}

namespace xacbe::ss {

class ServiceStore {
 public:
  // Opens (or creates) the file at `path` and brings its tables up to date.
  static Result<std::unique_ptr<ServiceStore>> open(const std::string& path);
  ~ServiceStore();

  // What is stored, in the order it was added.
  Result<std::vector<ServiceDefinition>> services();
  Result<std::vector<AccessRight>> rights();

  Status add_service(const ServiceDefinition& service);
  // Removes the service and the stored rights for it, in one transaction; false: not stored.
  Result<bool> remove_service(const id::ServiceId& service);
  Status add_right(const AccessRight& right);
  // false: no such right stored.
  Result<bool> remove_right(const AccessRight& right);

 private:
  explicit ServiceStore(std::unique_ptr<store::Database> db);
  std::unique_ptr<store::Database> db_;
};

}  // namespace xacbe::ss
