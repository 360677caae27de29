#pragma once
// Metaservices (docs/protocol/metaservices.md): what a client's information system may ask about
// the federation and about a provider's services without calling one.
//
//   listClients     GET /r1/{instance}/listClients, answered by the client's own security server
//                   from the global configuration in use; no exchange.
//   listMethods, allowedMethods, getOpenAPI?serviceCode=X, getWsdl?serviceCode=X
//                   GET /r1/{provider subsystem}/{code}: an ordinary exchange (e-stamped, verified,
//                   logged on both sides, its decision recorded) that the provider's server answers
//                   itself from its service catalog instead of forwarding it.
//
// allowedMethods is worked out by asking ServiceCatalog::decide — the very decision a call gets —
// about each endpoint, never by a rule of its own, so a rule added to decide() applies to both.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/service_catalog.hpp"
#include "exchange/context.hpp"
#include "exchange/fault.hpp"
#include "exchange/message.hpp"
#include "settings.hpp"
#include "xacbe/net/async.hpp"
#include "xacbe/net/http.hpp"

namespace xacbe::ss {

// The largest description document served, and the longest wait for it.
inline constexpr std::size_t kMaxDescriptionBytes = 4 * 1024 * 1024;
inline constexpr std::chrono::milliseconds kMaxDescriptionWait{30000};

// ---- listClients (the client's own server) ----

// The instance a "GET /r1/{instance}/listClients" call names (a valid instance code, no path after
// it, no query); nullopt when the call is not one.
std::optional<std::string> list_clients_instance(std::string_view method, std::string_view target);
// The members and subsystems of `configuration`, as JSON; kNotFound when `instance` is not its
// instance.
Result<std::string> list_clients(std::string_view instance, const globalconf::GlobalConfiguration& configuration);

// ---- The provider's server ----

// A service and endpoints of it (every endpoint, or those a client may call).
struct ServiceEndpoints {
  id::ServiceId service;
  std::vector<Endpoint> endpoints;
  bool has_description = false;
};

// The enabled services of `provider` with their endpoints ("* /**" for a service without any).
std::vector<ServiceEndpoints> list_methods(const ServiceCatalog& catalog, const id::SubsystemId& provider);
// Those of list_methods' endpoints that `client` may call as a whole, by catalog.decide(): an
// endpoint is listed with a method when decide() allows that method on every path it matches
// (sampled as docs/protocol/metaservices.md says); one with method "*" is listed as "*" when all
// five methods are allowed, else with each allowed method. Services with none are left out.
// `represented_party` is the party the asking call is made for: the answer is what the client may
// call for that party (docs/protocol/exchange.md "Represented parties").
std::vector<ServiceEndpoints> allowed_methods(const ServiceCatalog& catalog, const id::SubsystemId& provider,
                                              const id::ClientId& client,
                                              const globalconf::GlobalConfiguration& configuration,
                                              std::string_view represented_party = {});
// The endpoints of one service `client` may call (as above), and in `first` the first allowing
// decision (when any).
std::vector<Endpoint> allowed_endpoints(const ServiceCatalog& catalog, const ServiceDefinition& service,
                                        const id::ClientId& client,
                                        const globalconf::GlobalConfiguration& configuration,
                                        AccessDecision* first = nullptr, std::string_view represented_party = {});
// {"services": [{"id", "service_code", "endpoints": [{"method", "path"}], "has_description"}]}
std::string services_json(const std::vector<ServiceEndpoints>& services);

// What steps 6 and 7 of the provider side work with for a metaservice call: a definition that is
// enabled, for a service id whose code is listMethods, allowedMethods, getOpenAPI or getWsdl;
// nullopt for any other service id.
std::optional<ServiceDefinition> metaservice_definition(const id::ServiceId& service);
// The access decision for a metaservice call; on refusal `code` says which fault. The provider
// subsystem must be one of `clients` (this server's), the call a GET without path; getOpenAPI and getWsdl
// need "serviceCode=CODE" naming an enabled service of that subsystem with a description URL,
// and a client that may call some endpoint of it (allowed_endpoints).
AccessDecision decide_metaservice(const RequestHead& head, const ServiceCatalog& catalog,
                                  const std::map<id::ClientId, ClientSettings>& clients,
                                  const globalconf::GlobalConfiguration& configuration, FaultCode* code);
// The answer of an allowed metaservice call (in place of the provider information system's):
// JSON for listMethods and allowedMethods, the description document fetched from the provider's
// information system for getOpenAPI and getWsdl (an error Status when that fails).
net::Task<Result<net::HttpResponse>> answer_metaservice(ExchangeContext& context, const ServiceCatalog& catalog,
                                                        const RequestHead& head,
                                                        const globalconf::GlobalConfiguration& configuration);

}  // namespace xacbe::ss
