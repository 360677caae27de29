#include "access/service_catalog.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <set>

#include "access/access_level.hpp"
#include "exchange/message.hpp"
#include "xacbe/net/http.hpp"

namespace xacbe::ss {
namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool subject_lists(const std::string& subject, const id::ClientId& client,
                   const globalconf::GlobalConfiguration& configuration) {
  if (subject.rfind("group:", 0) != 0) return subject == client.to_string();
  const globalconf::GlobalGroup* group = configuration.find_group(std::string_view(subject).substr(6));
  return group != nullptr && std::find(group->members.begin(), group->members.end(), client) != group->members.end();
}

}  // namespace

bool Endpoint::matches(std::string_view call_method, std::string_view call_path) const {
  if (method != "*" && method != call_method) return false;
  const auto pattern = segments(path);
  const auto actual = segments(call_path.empty() ? "/" : call_path);
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == "**") return true;
    if (i >= actual.size()) return false;
    if (pattern[i] != "*" && pattern[i] != actual[i]) return false;
  }
  return pattern.size() == actual.size();
}

Status check_endpoint(const Endpoint& endpoint) {
  if (endpoint.method != "*" && !is_rest_method(endpoint.method)) {
    return invalid_argument("endpoint method must be GET, POST, PUT, PATCH, DELETE or *");
  }
  if (endpoint.path.empty() || endpoint.path.front() != '/') return invalid_argument("endpoint path must start with '/'");
  const auto parts = segments(endpoint.path);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == "**" && i + 1 != parts.size()) return invalid_argument("'**' only as the last segment");
  }
  // A literal pattern must itself be a path the client interface accepts.
  std::string literal;
  for (const auto& p : parts) {
    literal += '/';
    literal += (p == "*" || p == "**") ? std::string_view("x") : p;
  }
  auto target = parse_rest_target("/r1/QROO/X/X/X/X" + literal);
  if (!target.is_ok()) return invalid_argument("endpoint path: " + target.status().message());
  return Status::ok();
}

Result<Endpoint> parse_endpoint(const std::string& text) {
  const auto space = text.find(' ');
  if (space == std::string::npos) return invalid_argument("endpoint '" + text + "' must be 'METHOD /path'");
  Endpoint e{text.substr(0, space), text.substr(space + 1)};
  XACBE_RETURN_IF_ERROR(check_endpoint(e));
  return e;
}

std::string to_string(const Endpoint& endpoint) { return endpoint.method + " " + endpoint.path; }

std::string_view service_protocol_name(ServiceProtocol protocol) {
  return protocol == ServiceProtocol::kSoap ? "soap" : "rest";
}

std::optional<ServiceProtocol> parse_service_protocol(std::string_view name) {
  if (name == "rest") return ServiceProtocol::kRest;
  if (name == "soap") return ServiceProtocol::kSoap;
  return std::nullopt;
}

bool is_reserved_service_code(std::string_view code) {
  return std::any_of(std::begin(kMetaserviceCodes), std::end(kMetaserviceCodes), [&](std::string_view reserved) {
    return reserved.size() == code.size() && std::equal(reserved.begin(), reserved.end(), code.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
  });
}

Result<ServiceCatalog> ServiceCatalog::create(std::vector<ServiceDefinition> services, std::vector<AccessRight> rights) {
  ServiceCatalog c;
  std::set<id::ServiceId> seen;
  for (const auto& s : services) {
    const std::string name = s.service.to_string();
    if (s.service.version() && s.protocol != ServiceProtocol::kSoap) {
      return invalid_argument("service " + name + ": REST services have no version");
    }
    if (!seen.insert(s.service).second) return invalid_argument("service " + name + " listed twice");
    if (is_reserved_service_code(s.service.service())) {
      return invalid_argument("service " + name + ": the code " + s.service.service() + " is reserved for a metaservice");
    }
    auto url = net::parse_url(s.url);
    if (!url.is_ok()) return invalid_argument("service " + name + ": bad url: " + url.status().message());
    if (url->target.find('?') != std::string::npos) return invalid_argument("service " + name + ": url with a query");
    // The provider's systems are reached over plain HTTP on the member's own network; HTTPS to
    // them needs trust settings this release does not have, so it is refused here, not at the call.
    if (url->tls) return invalid_argument("service " + name + ": only http:// URLs are supported for now");
    for (const auto& e : s.endpoints) {
      Status st = check_endpoint(e);
      if (!st.is_ok()) return invalid_argument("service " + name + ": " + st.message());
    }
    if (s.timeout.count() <= 0) return invalid_argument("service " + name + ": timeout must be positive");
    if (s.protocol == ServiceProtocol::kSoap && !s.endpoints.empty()) {
      return invalid_argument("service " + name + ": a SOAP service has no endpoints");
    }
    if (!s.description_url.empty()) {
      if (s.description_url.size() > kMaxDescriptionUrlBytes) return invalid_argument("service " + name + ": description url too long");
      if (std::any_of(s.description_url.begin(), s.description_url.end(),
                      [](char ch) { return ch <= ' ' || ch >= 0x7f; })) {
        return invalid_argument("service " + name + ": description url with a space, control or non-ASCII character");
      }
      auto d = net::parse_url(s.description_url);
      if (!d.is_ok()) return invalid_argument("service " + name + ": bad description url: " + d.status().message());
      if (d->tls) return invalid_argument("service " + name + ": only http:// description URLs are supported for now");
    }
    if (!s.minimum_level.empty()) {
      Status st = check_level_code(s.minimum_level);
      if (!st.is_ok()) return invalid_argument("service " + name + ": " + st.message());
    }
  }
  for (const auto& r : rights) {
    const std::string name = r.service.to_string();
    if (seen.count(r.service) == 0) return invalid_argument("access right for unknown service " + name);
    if (r.subject.rfind("group:", 0) == 0) {
      const std::string code = r.subject.substr(6);
      if (!id::MemberId::create("QROO", "X", code).is_ok()) return invalid_argument("bad group in access right: " + code);
    } else if (!id::ClientId::parse(r.subject).is_ok()) {
      return invalid_argument("access right subject must be a client id or group:CODE: " + r.subject);
    }
    if (r.endpoint) {
      const auto service = std::find_if(services.begin(), services.end(),
                                        [&](const ServiceDefinition& d) { return d.service == r.service; });
      if (service->protocol == ServiceProtocol::kSoap) {
        return invalid_argument("access right for " + name + ": a SOAP service is granted whole, without an endpoint");
      }
      Status st = check_endpoint(*r.endpoint);
      if (!st.is_ok()) return invalid_argument("access right for " + name + ": " + st.message());
    }
    if (!r.represented_party.empty() && r.represented_party != kAnyRepresentedParty &&
        !id::MemberId::parse(r.represented_party).is_ok()) {
      return invalid_argument("access right for " + name + ": represented party must be '*' or a member id");
    }
  }
  c.services_ = std::move(services);
  c.rights_ = std::move(rights);
  return c;
}

const ServiceDefinition* ServiceCatalog::find(const id::ServiceId& service) const {
  for (const auto& s : services_) {
    if (s.service == service) return &s;
  }
  return nullptr;
}

AccessDecision ServiceCatalog::decide(const id::ClientId& client, const ServiceDefinition& service,
                                      std::string_view method, std::string_view path,
                                      const globalconf::GlobalConfiguration& configuration,
                                      std::string_view represented_party) const {
  if (!service.endpoints.empty() &&
      std::none_of(service.endpoints.begin(), service.endpoints.end(),
                   [&](const Endpoint& e) { return e.matches(method, path); })) {
    return {false, "no-endpoint", "the service has no endpoint for this method and path"};
  }
  bool party_refused = false;
  for (const auto& r : rights_) {
    if (r.service != service.service) continue;
    if (r.endpoint && !r.endpoint->matches(method, path)) continue;
    if (!subject_lists(r.subject, client, configuration)) continue;
    const bool party_ok = r.represented_party.empty() ||
                          (r.represented_party == kAnyRepresentedParty ? !represented_party.empty()
                                                                       : r.represented_party == represented_party);
    if (!party_ok) {
      party_refused = true;
      continue;
    }
    if (auto below = refuse_below_minimum_level(client, service, configuration)) return *below;
    std::string reason = "granted to " + r.subject;
    if (!represented_party.empty()) reason += " on behalf of " + std::string(represented_party);
    return {true, "right:" + r.subject, std::move(reason)};
  }
  if (party_refused) {
    return {false, "represented-party",
            represented_party.empty() ? std::string("the access right requires a represented party")
                                      : "no access right of this client covers calls on behalf of " +
                                            std::string(represented_party)};
  }
  return {false, "no-right", "no access right for this client"};
}

}  // namespace xacbe::ss
