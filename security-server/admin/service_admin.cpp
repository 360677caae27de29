#include "admin/service_admin.hpp"

#include <algorithm>

#include "xacbe/log/log.hpp"

namespace xacbe::ss {
namespace {

bool defines(const std::vector<ServiceDefinition>& services, const id::ServiceId& service) {
  return std::any_of(services.begin(), services.end(), [&](const ServiceDefinition& d) { return d.service == service; });
}

bool grants(const std::vector<AccessRight>& rights, const AccessRight& right) {
  return std::find(rights.begin(), rights.end(), right) != rights.end();
}

std::string describe(const AccessRight& r) {
  std::string text = r.subject + " -> " + r.service.to_string();
  if (r.endpoint) text += " " + to_string(*r.endpoint);
  if (!r.represented_party.empty()) text += " for " + r.represented_party;
  return text;
}

}  // namespace

ServiceAdmin::ServiceAdmin(std::map<id::ClientId, ClientSettings> clients, std::unique_ptr<ServiceStore> store,
                           Install install)
    : clients_(std::move(clients)), install_(std::move(install)), store_(std::move(store)) {}

Result<std::unique_ptr<ServiceAdmin>> ServiceAdmin::create(std::map<id::ClientId, ClientSettings> clients,
                                                           std::vector<ServiceDefinition> file_services,
                                                           std::vector<AccessRight> file_rights,
                                                           std::unique_ptr<ServiceStore> store, Install install) {
  std::unique_ptr<ServiceAdmin> admin(new ServiceAdmin(std::move(clients), std::move(store), std::move(install)));
  std::lock_guard lock(admin->mu_);
  XACBE_ASSIGN_OR_RETURN(admin->stored_services_, admin->store_->services());
  XACBE_ASSIGN_OR_RETURN(admin->stored_rights_, admin->store_->rights());
  auto catalog = admin->compose(file_services, file_rights, admin->stored_services_, admin->stored_rights_);
  if (!catalog.is_ok()) {
    return invalid_argument("the services and access rights of the file and those added through the admin API "
                            "do not go together: " + catalog.status().message());
  }
  admin->file_services_ = std::move(file_services);
  admin->file_rights_ = std::move(file_rights);
  admin->use(std::move(catalog).value());
  return admin;
}

Result<std::shared_ptr<const ServiceCatalog>> ServiceAdmin::compose(
    const std::vector<ServiceDefinition>& file_services, const std::vector<AccessRight>& file_rights,
    const std::vector<ServiceDefinition>& stored_services, const std::vector<AccessRight>& stored_rights) const {
  std::vector<ServiceDefinition> services = file_services;
  services.insert(services.end(), stored_services.begin(), stored_services.end());
  std::vector<AccessRight> rights = file_rights;
  rights.insert(rights.end(), stored_rights.begin(), stored_rights.end());
  XACBE_ASSIGN_OR_RETURN(ServiceCatalog catalog, make_catalog(clients_, std::move(services), std::move(rights)));
  return std::make_shared<const ServiceCatalog>(std::move(catalog));
}

void ServiceAdmin::use(std::shared_ptr<const ServiceCatalog> catalog) {
  catalog_ = std::move(catalog);
  if (install_) install_(catalog_);
}

Status ServiceAdmin::reload_file(std::vector<ServiceDefinition> services, std::vector<AccessRight> rights) {
  std::lock_guard lock(mu_);
  XACBE_ASSIGN_OR_RETURN(auto catalog, compose(services, rights, stored_services_, stored_rights_));
  file_services_ = std::move(services);
  file_rights_ = std::move(rights);
  use(std::move(catalog));
  return Status::ok();
}

// Each change: check the would-be union by the catalog's rule, then store, then install. A store
// failure installs nothing, so the catalog in use is always what the file and the store hold.
Status ServiceAdmin::add_service(const ServiceDefinition& service) {
  std::lock_guard lock(mu_);
  const std::string name = service.service.to_string();
  if (defines(file_services_, service.service)) {
    return invalid_argument("service " + name + " is defined in the configuration file");
  }
  if (defines(stored_services_, service.service)) return invalid_argument("service " + name + " already exists");
  std::vector<ServiceDefinition> stored = stored_services_;
  stored.push_back(service);
  XACBE_ASSIGN_OR_RETURN(auto catalog, compose(file_services_, file_rights_, stored, stored_rights_));
  XACBE_RETURN_IF_ERROR(store_->add_service(service));
  stored_services_ = std::move(stored);
  use(std::move(catalog));
  return Status::ok();
}

Status ServiceAdmin::add_right(const AccessRight& right) {
  std::lock_guard lock(mu_);
  if (grants(file_rights_, right) || grants(stored_rights_, right)) {
    return invalid_argument("access right " + describe(right) + " already exists");
  }
  std::vector<AccessRight> stored = stored_rights_;
  stored.push_back(right);
  XACBE_ASSIGN_OR_RETURN(auto catalog, compose(file_services_, file_rights_, stored_services_, stored));
  XACBE_RETURN_IF_ERROR(store_->add_right(right));
  stored_rights_ = std::move(stored);
  use(std::move(catalog));
  return Status::ok();
}

Status ServiceAdmin::remove_service(const id::ServiceId& service) {
  std::lock_guard lock(mu_);
  const std::string name = service.to_string();
  if (defines(file_services_, service)) {
    return failed_precondition("service " + name + " is defined in the configuration file: change it there");
  }
  if (!defines(stored_services_, service)) return not_found("no service " + name);
  std::vector<ServiceDefinition> services = stored_services_;
  std::erase_if(services, [&](const ServiceDefinition& d) { return d.service == service; });
  std::vector<AccessRight> rights = stored_rights_;
  std::erase_if(rights, [&](const AccessRight& r) { return r.service == service; });
  XACBE_ASSIGN_OR_RETURN(auto catalog, compose(file_services_, file_rights_, services, rights));
  XACBE_RETURN_IF_ERROR(store_->remove_service(service).status());
  stored_services_ = std::move(services);
  stored_rights_ = std::move(rights);
  use(std::move(catalog));
  return Status::ok();
}

Status ServiceAdmin::remove_right(const AccessRight& right) {
  std::lock_guard lock(mu_);
  if (grants(file_rights_, right)) {
    return failed_precondition("access right " + describe(right) + " is in the configuration file: change it there");
  }
  if (!grants(stored_rights_, right)) return not_found("no access right " + describe(right));
  std::vector<AccessRight> rights = stored_rights_;
  std::erase(rights, right);
  XACBE_ASSIGN_OR_RETURN(auto catalog, compose(file_services_, file_rights_, stored_services_, rights));
  XACBE_RETURN_IF_ERROR(store_->remove_right(right).status());
  stored_rights_ = std::move(rights);
  use(std::move(catalog));
  return Status::ok();
}

std::vector<WithOrigin<ServiceDefinition>> ServiceAdmin::services() const {
  std::lock_guard lock(mu_);
  std::vector<WithOrigin<ServiceDefinition>> out;
  for (const auto& d : file_services_) out.push_back({d, Origin::kFile});
  for (const auto& d : stored_services_) out.push_back({d, Origin::kApi});
  return out;
}

std::vector<WithOrigin<AccessRight>> ServiceAdmin::rights() const {
  std::lock_guard lock(mu_);
  std::vector<WithOrigin<AccessRight>> out;
  for (const auto& r : file_rights_) out.push_back({r, Origin::kFile});
  for (const auto& r : stored_rights_) out.push_back({r, Origin::kApi});
  return out;
}

std::shared_ptr<const ServiceCatalog> ServiceAdmin::catalog() const {
  std::lock_guard lock(mu_);
  return catalog_;
}

}  // namespace xacbe::ss
