#pragma once
// The services a provider's security server offers and who may call them
// (docs/protocol/exchange.md "Services and access rights"). Deny by default: a client may call an
// endpoint of a service only when a right names the client itself, or a global group of the
// configuration in use that lists it, for the whole service or for an endpoint that matches.
//
// A catalog is an immutable snapshot; a change makes a new one, which the next request uses.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/id/identifiers.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ss {

// A method ("GET", ..., or "*" for any) and a path pattern: '/'-separated segments, each literal,
// "*" (exactly one segment) or, last only, "**" (the rest of the path, possibly nothing).
struct Endpoint {
  std::string method = "*";
  std::string path = "/**";
  bool matches(std::string_view method, std::string_view path) const;
};
Status check_endpoint(const Endpoint& endpoint);
// "METHOD /path", as the configuration file and the admin API write an endpoint; checked.
Result<Endpoint> parse_endpoint(const std::string& text);
std::string to_string(const Endpoint& endpoint);

// How the provider's information system is called (docs/protocol/soap.md): REST calls reach a
// "rest" service only, SOAP envelopes a "soap" one.
enum class ServiceProtocol { kRest, kSoap };
std::string_view service_protocol_name(ServiceProtocol protocol);  // "rest", "soap"
std::optional<ServiceProtocol> parse_service_protocol(std::string_view name);

struct ServiceDefinition {
  id::ServiceId service;  // its subsystem is a client of this server; versioned only if SOAP
  std::string url;        // the provider information system's base URL, http:// or https://
  bool enabled = true;
  std::chrono::milliseconds timeout{30000};
  std::vector<Endpoint> endpoints;  // the service's endpoints; empty: any method and path
  ServiceProtocol protocol = ServiceProtocol::kRest;  // a "soap" service has no endpoints
  // Where the provider's information system serves the service's description (an OpenAPI
  // document or a WSDL), http://; empty: none. Served by the getOpenAPI and getWsdl metaservices
  // (docs/protocol/metaservices.md).
  std::string description_url = {};
  // The lowest access level of the global configuration a client must have (access/access_level.hpp);
  // empty: none required.
  std::string minimum_level{};
};

// What a right says of the party a client calls on behalf of (X-Xacbe-Represented-Party).
inline constexpr std::string_view kAnyRepresentedParty = "*";

// The service codes of the metaservices (docs/protocol/metaservices.md): no service of a catalog
// may take one, in any letter case, so that a call to one always reaches the server's own answer.
inline constexpr std::string_view kMetaserviceCodes[] = {"listClients", "listMethods", "allowedMethods", "getOpenAPI",
                                                         "getWsdl"};
bool is_reserved_service_code(std::string_view code);
inline constexpr std::size_t kMaxDescriptionUrlBytes = 2048;

struct AccessRight {
  id::ServiceId service;
  std::string subject;               // a client id, or "group:CODE" for a global group
  std::optional<Endpoint> endpoint;  // nullopt: every endpoint of the service
  // "": the right holds whoever the client calls for (itself or a party); "*": only calls on
  // behalf of some represented party; a member id: only calls on behalf of that party.
  std::string represented_party = {};
  bool operator==(const AccessRight& other) const {
    return service == other.service && subject == other.subject && represented_party == other.represented_party &&
           endpoint.has_value() == other.endpoint.has_value() &&
           (!endpoint || (endpoint->method == other.endpoint->method && endpoint->path == other.endpoint->path));
  }
};

// Why a call was allowed or refused, for the authentication/authorization record.
struct AccessDecision {
  bool allowed = false;
  std::string rule;    // "right:<subject>", "no-endpoint", "no-right", "represented-party", "level:<minimum>"
  std::string reason;  // a sentence
};

class ServiceCatalog {
 public:
  // Refuses (kInvalidArgument) a repeated service, a versioned REST service, a reserved service
  // code, a bad URL, description URL or endpoint, a right for a service not in the catalog, or a
  // subject that is neither a client id nor "group:CODE"; also endpoints of a SOAP service and
  // rights limited to an endpoint of one (a SOAP call has no method or path to match).
  static Result<ServiceCatalog> create(std::vector<ServiceDefinition> services, std::vector<AccessRight> rights);

  const ServiceDefinition* find(const id::ServiceId& service) const;
  // The access decision for a call to `service` (found in this catalog), made on behalf of
  // `represented_party` (empty: the client calls for itself): the endpoint, then an access right,
  // then the service's minimum access level (access/access_level.hpp). A right that matches the
  // client and endpoint but names another party, or requires one the call lacks, refuses with
  // rule "represented-party" unless another right allows.
  AccessDecision decide(const id::ClientId& client, const ServiceDefinition& service, std::string_view method,
                        std::string_view path, const globalconf::GlobalConfiguration& configuration,
                        std::string_view represented_party = {}) const;

  const std::vector<ServiceDefinition>& services() const { return services_; }
  const std::vector<AccessRight>& rights() const { return rights_; }

 private:
  ServiceCatalog() = default;
  std::vector<ServiceDefinition> services_;
  std::vector<AccessRight> rights_;
};

}  // namespace xacbe::ss
