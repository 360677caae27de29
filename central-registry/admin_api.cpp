#include "admin_api.hpp"

#include <memory>

namespace xacbe::registry {
namespace {

// The audit trail's part in the router (admin_api.hpp, "Audit").
class TrailAudit : public api::RequestAudit {
 public:
  explicit TrailAudit(AuditTrail& trail) : trail_(trail) {}

  void refused(const ApiUser* user, const std::string& action, const std::string& path,
               const Status& refusal) override {
    (void)trail_.record(user ? user->name : "anonymous", action, path, refusal);
  }

  net::HttpResponse answer(const Route& route, const ApiCall& call, const std::string& path,
                           const std::function<net::HttpResponse()>& answer) override {
    if (!route.write) return answer();
    // Where the trail stood before the handler; if that cannot be read, the router audits anyway.
    const auto before = trail_.last_id();
    net::HttpResponse response = answer();
    if (response.status >= 200 && response.status < 300) return response;
    const Result<bool> domain_audited = before ? trail_.refusal_after(*before) : Result<bool>(before.status());
    if (!domain_audited || !*domain_audited) {
      const std::string actor = call.user ? call.user->name : "unauthenticated";
      (void)trail_.record(actor, "api " + route.method + " " + route.path, path, api::error_of(response));
    }
    return response;
  }

 private:
  AuditTrail& trail_;
};

}  // namespace

AdminApi::AdminApi(std::vector<ApiUser> users, AuditTrail& audit)
    : api::AdminApi(std::move(users), std::make_unique<TrailAudit>(audit)) {}

}  // namespace xacbe::registry
