#include "api_json.hpp"
#include "routes.hpp"

namespace xacbe::registry {
namespace {

using namespace api;

net::HttpResponse not_published() {
  return error_response(unavailable("this registry publishes no global configuration (no 'globalconf' section)"));
}

}  // namespace

void add_configuration_routes(AdminApi& api, ConfigurationPublisher* publisher, const std::string& instance) {
  // What security servers download: public, since the document is signed and carries nothing
  // secret (docs/protocol/global-configuration.md).
  api.add({"GET", "/globalconf/{instance}", false,
           [publisher, instance](const ApiCall& call) {
             if (call.params[0] != instance) {
               return error_response(not_found("this registry serves instance " + instance));
             }
             if (!publisher) return not_published();
             auto signed_form = publisher->current();
             if (!signed_form) return error_response(signed_form.status());
             return net::HttpResponse::make(200, "application/json", std::move(signed_form).value());
           },
           /*bearer=*/false});
  api.add({"GET", "/api/v1/configuration-anchor", false, [publisher](const ApiCall&) {
             if (!publisher) return not_published();
             return net::HttpResponse::make(200, "application/json", publisher->anchor_json());
           }});
}

}  // namespace xacbe::registry
