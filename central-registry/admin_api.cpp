#include "admin_api.hpp"

#include <memory>

namespace xacbe::registry {
namespace {

// The audit trail's part in the router (admin_api.hpp, "Audit").
class TrailAudit : public api::RequestAudit {
 public:
  explicit TrailAudit(AuditTrail& trail) : trail_(trail) {}

  void refused(const ApiUser* user, const std::string& action, const std::string& path, const Status& refusal,
               const std::string& peer) override {
    trail_.set_source(peer);
    (void)trail_.record(user ? user->name : "anonymous", action, path, refusal);
    trail_.set_source({});
  }

  net::HttpResponse answer(const Route& route, const ApiCall& call, const std::string& path,
                           const std::function<net::HttpResponse()>& answer) override {
    if (!route.write) return answer();
    // The domain's refusals of a caller it has not identified (a management request) are
    // aggregated by source (audit_trail.hpp).
    trail_.set_source(call.peer);
    struct Clear {
      AuditTrail& trail;
      ~Clear() { trail.set_source({}); }
    } clear{trail_};
    const std::uint64_t heard = trail_.refusals_heard();
    net::HttpResponse response = answer();
    if (response.status >= 200 && response.status < 300) return response;
    // Unless the handler's domain module heard of the refusal itself (and recorded or counted it).
    if (trail_.refusals_heard() == heard) {
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
