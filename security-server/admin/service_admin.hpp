#pragma once
// The services and access rights a security server runs with: those of its configuration file
// and those added through the admin API (kept in a ServiceStore). The catalog in use is their
// union, checked by the one rule (make_catalog in settings.hpp) whichever side changes; each
// accepted change installs a new catalog, which the next request uses (requests in flight finish
// with the one they started with). The API may not change or shadow what the file defines: a
// service of the file is refused as a duplicate, and file entries cannot be deleted through it.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "admin/service_store.hpp"
#include "settings.hpp"

namespace xacbe::ss {

enum class Origin { kFile, kApi };

template <typename T>
struct WithOrigin {
  T value;
  Origin origin;
};

class ServiceAdmin {
 public:
  using Install = std::function<void(std::shared_ptr<const ServiceCatalog>)>;

  // Checks the union of the file's and the stored entries and installs it; kInvalidArgument when
  // they do not check out together (a service the file now defines was added through the API,
  // say), which the operator must resolve.
  static Result<std::unique_ptr<ServiceAdmin>> create(std::map<id::ClientId, ClientSettings> clients,
                                                      std::vector<ServiceDefinition> file_services,
                                                      std::vector<AccessRight> file_rights,
                                                      std::unique_ptr<ServiceStore> store, Install install);

  // The file was read again (SIGHUP): its services and rights replace the file's, if the union
  // still checks out; otherwise nothing changes.
  Status reload_file(std::vector<ServiceDefinition> services, std::vector<AccessRight> rights);

  // kInvalidArgument for what the catalog would refuse, a service of the file or one already
  // added, or a right already granted.
  Status add_service(const ServiceDefinition& service);
  Status add_right(const AccessRight& right);
  // kNotFound when absent, kFailedPrecondition for an entry of the file. Removing a service
  // removes the rights the API granted for it.
  Status remove_service(const id::ServiceId& service);
  Status remove_right(const AccessRight& right);

  std::vector<WithOrigin<ServiceDefinition>> services() const;
  std::vector<WithOrigin<AccessRight>> rights() const;
  std::shared_ptr<const ServiceCatalog> catalog() const;

 private:
  ServiceAdmin(std::map<id::ClientId, ClientSettings> clients, std::unique_ptr<ServiceStore> store, Install install);
  // The catalog of file + stored entries, checked; mu_ held.
  Result<std::shared_ptr<const ServiceCatalog>> compose(const std::vector<ServiceDefinition>& file_services,
                                                        const std::vector<AccessRight>& file_rights,
                                                        const std::vector<ServiceDefinition>& stored_services,
                                                        const std::vector<AccessRight>& stored_rights) const;
  // Makes `catalog` the one in use; mu_ held.
  void use(std::shared_ptr<const ServiceCatalog> catalog);

  const std::map<id::ClientId, ClientSettings> clients_;
  const Install install_;
  mutable std::mutex mu_;
  std::unique_ptr<ServiceStore> store_;            // guarded by mu_
  std::vector<ServiceDefinition> file_services_;   // guarded by mu_
  std::vector<AccessRight> file_rights_;           // guarded by mu_
  std::vector<ServiceDefinition> stored_services_; // guarded by mu_; what store_ holds
  std::vector<AccessRight> stored_rights_;         // guarded by mu_; what store_ holds
  std::shared_ptr<const ServiceCatalog> catalog_;  // guarded by mu_; the one installed last
};

}  // namespace xacbe::ss
