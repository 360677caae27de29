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

struct ServiceDefinition {
  id::ServiceId service;  // unversioned; its subsystem is a client of this server
  std::string url;        // the provider information system's base URL, http:// or https://
  bool enabled = true;
  std::chrono::milliseconds timeout{30000};
  std::vector<Endpoint> endpoints;  // the service's endpoints; empty: any method and path
  // The lowest access level of the global configuration a client must have (access/access_level.hpp);
  // empty: none required.
  std::string minimum_level{};
};

struct AccessRight {
  id::ServiceId service;
  std::string subject;               // a client id, or "group:CODE" for a global group
  std::optional<Endpoint> endpoint;  // nullopt: every endpoint of the service
  bool operator==(const AccessRight& other) const {
    return service == other.service && subject == other.subject &&
           endpoint.has_value() == other.endpoint.has_value() &&
           (!endpoint || (endpoint->method == other.endpoint->method && endpoint->path == other.endpoint->path));
  }
};

// Why a call was allowed or refused, for the authentication/authorization record.
struct AccessDecision {
  bool allowed = false;
  std::string rule;    // "right:<subject>", "no-endpoint", "no-right", "level:<minimum>"
  std::string reason;  // a sentence
};

class ServiceCatalog {
 public:
  // Refuses (kInvalidArgument) a repeated or versioned service, a bad URL or endpoint, a right
  // for a service not in the catalog, or a subject that is neither a client id nor "group:CODE".
  static Result<ServiceCatalog> create(std::vector<ServiceDefinition> services, std::vector<AccessRight> rights);

  const ServiceDefinition* find(const id::ServiceId& service) const;
  // The access decision for a call to `service` (found in this catalog): the endpoint, then an
  // access right, then the service's minimum access level (access/access_level.hpp).
  AccessDecision decide(const id::ClientId& client, const ServiceDefinition& service, std::string_view method,
                        std::string_view path, const globalconf::GlobalConfiguration& configuration) const;

  const std::vector<ServiceDefinition>& services() const { return services_; }
  const std::vector<AccessRight>& rights() const { return rights_; }

 private:
  ServiceCatalog() = default;
  std::vector<ServiceDefinition> services_;
  std::vector<AccessRight> rights_;
};

}  // namespace xacbe::ss
