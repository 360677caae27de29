#include "exchange/metaservices.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

#include "exchange/message.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::ss {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kListClients = "listClients";
constexpr std::string_view kListMethods = "listMethods";
constexpr std::string_view kAllowedMethods = "allowedMethods";
constexpr std::string_view kGetOpenApi = "getOpenAPI";
constexpr std::string_view kGetWsdl = "getWsdl";

// The methods an endpoint's "*" stands for (is_rest_method's list).
constexpr std::array<std::string_view, 5> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};

// A path segment no endpoint or access right can name literally ('{' and '}' are not path
// characters of the client interface, and check_endpoint refuses them), so a pattern matches it
// only with "*" or "**": a call with it stands for every value of that segment.
constexpr std::string_view kAnySegment = "{*}";

std::vector<std::string_view> split_segments(std::string_view path) {
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

// The calls that stand for every path `pattern` matches: each "*" as kAnySegment, and a final
// "**" as 0..depth such segments, where depth is beyond the longest pattern that could tell the
// lengths apart (a pattern without "**" matches one length only).
std::vector<std::string> sample_paths(std::string_view pattern, std::size_t depth) {
  std::string prefix;
  bool rest = false;
  for (std::string_view segment : split_segments(pattern)) {
    if (segment == "**") {
      rest = true;
      break;
    }
    prefix += '/';
    prefix += segment == "*" ? kAnySegment : segment;
  }
  if (!rest) return {prefix};
  std::vector<std::string> out;
  std::string path = prefix;
  for (std::size_t k = 0; k <= depth; ++k) {
    out.push_back(path.empty() ? std::string("/") : path);
    path += '/';
    path += kAnySegment;
  }
  return out;
}

// The longest pattern, in segments, among the service's endpoints and the rights for it, plus one.
std::size_t probe_depth(const ServiceCatalog& catalog, const ServiceDefinition& service) {
  std::size_t longest = 1;
  for (const auto& e : service.endpoints) longest = std::max(longest, split_segments(e.path).size());
  for (const auto& r : catalog.rights()) {
    if (r.service == service.service && r.endpoint) longest = std::max(longest, split_segments(r.endpoint->path).size());
  }
  return longest + 1;
}

std::vector<Endpoint> endpoints_of(const ServiceDefinition& service) {
  return service.endpoints.empty() ? std::vector<Endpoint>{Endpoint{}} : service.endpoints;
}

// "serviceCode=CODE", nothing else.
std::optional<std::string> service_code_of(std::string_view query) {
  constexpr std::string_view kKey = "serviceCode=";
  if (query.substr(0, kKey.size()) != kKey) return std::nullopt;
  const std::string_view code = query.substr(kKey.size());
  if (code.empty() || code.find_first_of("&=%") != std::string_view::npos) return std::nullopt;
  return std::string(code);
}

// The media type of a Content-Type value, lower case, without parameters or spaces.
std::string media_type(std::string_view content_type) {
  const std::string_view type = content_type.substr(0, content_type.find(';'));
  const std::size_t first = type.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const std::size_t last = type.find_last_not_of(" \t");
  return ascii_lower(type.substr(first, last - first + 1));
}

bool accepted_type(std::string_view code, const std::string& type) {
  static const std::vector<std::string> openapi = {"application/json",         "application/yaml",
                                                   "application/x-yaml",       "text/yaml",
                                                   "text/x-yaml",              "application/vnd.oai.openapi",
                                                   "application/vnd.oai.openapi+json"};
  static const std::vector<std::string> wsdl = {"text/xml", "application/xml", "application/wsdl+xml"};
  const auto& list = code == kGetWsdl ? wsdl : openapi;
  return std::find(list.begin(), list.end(), type) != list.end();
}

AccessDecision refused(FaultCode* out, FaultCode code, std::string reason) {
  if (out != nullptr) *out = code;
  return {false, "metaservice", std::move(reason)};
}

}  // namespace

// ---- listClients ----

std::optional<std::string> list_clients_instance(std::string_view method, std::string_view target) {
  if (method != "GET" || target.substr(0, kRestPrefix.size()) != kRestPrefix) return std::nullopt;
  const std::string_view rest = target.substr(kRestPrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || rest.substr(slash + 1) != kListClients) return std::nullopt;
  const std::string_view instance = rest.substr(0, slash);
  if (!id::MemberId::create(instance, "X", "X").is_ok()) return std::nullopt;
  return std::string(instance);
}

Result<std::string> list_clients(std::string_view instance, const globalconf::GlobalConfiguration& configuration) {
  if (instance != configuration.instance()) {
    return not_found("this server's global configuration is of instance " + configuration.instance() + ", not " +
                     log::bounded(instance, 40));
  }
  Json clients = Json::array();
  for (const auto& m : configuration.content().members) {
    clients.push_back({{"id", m.id.to_string()}, {"kind", "member"}, {"name", m.name}});
    for (const auto& s : configuration.content().subsystems) {
      if (s.id.member() != m.id) continue;
      clients.push_back({{"id", s.id.to_string()}, {"kind", "subsystem"}, {"name", m.name}});
    }
  }
  return Json{{"instance", configuration.instance()},
              {"configuration_version", configuration.version()},
              {"clients", std::move(clients)}}
      .dump();
}

// ---- The provider's server ----

std::vector<ServiceEndpoints> list_methods(const ServiceCatalog& catalog, const id::SubsystemId& provider) {
  std::vector<ServiceEndpoints> out;
  for (const auto& s : catalog.services()) {
    if (s.service.subsystem() != provider || !s.enabled) continue;
    out.push_back({s.service, endpoints_of(s), !s.description_url.empty()});
  }
  return out;
}

std::vector<Endpoint> allowed_endpoints(const ServiceCatalog& catalog, const ServiceDefinition& service,
                                        const id::ClientId& client,
                                        const globalconf::GlobalConfiguration& configuration, AccessDecision* first,
                                        std::string_view represented_party) {
  const std::size_t depth = probe_depth(catalog, service);
  std::vector<Endpoint> out;
  auto add = [&out](Endpoint e) {
    if (std::none_of(out.begin(), out.end(), [&](const Endpoint& x) { return x.method == e.method && x.path == e.path; })) {
      out.push_back(std::move(e));
    }
  };
  for (const Endpoint& endpoint : endpoints_of(service)) {
    const std::vector<std::string> paths = sample_paths(endpoint.path, depth);
    std::vector<std::string> allowed;
    for (std::string_view method : kMethods) {
      if (endpoint.method != "*" && endpoint.method != method) continue;
      // The very decision a call gets, for every sample of the endpoint.
      bool all = true;
      AccessDecision decision;
      for (const std::string& path : paths) {
        decision = catalog.decide(client, service, method, path, configuration, represented_party);
        if (!decision.allowed) {
          all = false;
          break;
        }
      }
      if (!all) continue;
      allowed.emplace_back(method);
      if (first != nullptr && !first->allowed) *first = decision;
    }
    if (endpoint.method == "*" && allowed.size() == kMethods.size()) {
      add(endpoint);
      continue;
    }
    for (const std::string& method : allowed) add(Endpoint{method, endpoint.path});
  }
  return out;
}

std::vector<ServiceEndpoints> allowed_methods(const ServiceCatalog& catalog, const id::SubsystemId& provider,
                                              const id::ClientId& client,
                                              const globalconf::GlobalConfiguration& configuration,
                                              std::string_view represented_party) {
  std::vector<ServiceEndpoints> out;
  for (const auto& s : catalog.services()) {
    if (s.service.subsystem() != provider || !s.enabled) continue;
    std::vector<Endpoint> endpoints = allowed_endpoints(catalog, s, client, configuration, nullptr, represented_party);
    if (!endpoints.empty()) out.push_back({s.service, std::move(endpoints), !s.description_url.empty()});
  }
  return out;
}

std::string services_json(const std::vector<ServiceEndpoints>& services) {
  Json list = Json::array();
  for (const auto& s : services) {
    Json endpoints = Json::array();
    for (const auto& e : s.endpoints) endpoints.push_back({{"method", e.method}, {"path", e.path}});
    list.push_back({{"id", s.service.to_string()},
                    {"service_code", s.service.service()},
                    {"endpoints", std::move(endpoints)},
                    {"has_description", s.has_description}});
  }
  return Json{{"services", std::move(list)}}.dump();
}

std::optional<ServiceDefinition> metaservice_definition(const id::ServiceId& service) {
  const std::string& code = service.service();
  if (service.version() || !(code == kListMethods || code == kAllowedMethods || code == kGetOpenApi || code == kGetWsdl)) {
    return std::nullopt;
  }
  return ServiceDefinition{service, "", true, kMaxDescriptionWait, {Endpoint{"GET", "/"}}};
}

AccessDecision decide_metaservice(const RequestHead& head, const ServiceCatalog& catalog,
                                  const std::map<id::ClientId, ClientSettings>& clients,
                                  const globalconf::GlobalConfiguration& configuration, FaultCode* code) {
  const std::string& name = head.service.service();
  const id::SubsystemId& provider = head.service.subsystem();
  if (clients.count(id::ClientId(provider)) == 0) {
    return refused(code, FaultCode::kUnknownService, "no subsystem " + provider.to_string() + " on this server");
  }
  const bool describes = name == kGetOpenApi || name == kGetWsdl;
  if (head.method != "GET" || !(head.path.empty() || head.path == "/")) {
    return refused(code, FaultCode::kUnknownService,
                   name + " is called as GET without a path" + (describes ? "and with ?serviceCode=CODE" : ""));
  }
  if (!describes) {
    if (!head.query.empty()) return refused(code, FaultCode::kUnknownService, name + " takes no query");
    return {true, "metaservice", name + " is open to every registered client"};
  }
  const std::optional<std::string> service_code = service_code_of(head.query);
  Result<id::ServiceId> service_id =
      service_code ? id::ServiceId::create(provider, *service_code) : Result<id::ServiceId>(invalid_argument("no code"));
  if (!service_id.is_ok()) {
    return refused(code, FaultCode::kUnknownService, name + " is called with the query serviceCode=CODE, CODE a service code");
  }
  const ServiceDefinition* service = catalog.find(*service_id);
  if (service == nullptr) {
    return refused(code, FaultCode::kUnknownService, "no service " + service_id->to_string() + " on this server");
  }
  if (!service->enabled) return refused(code, FaultCode::kServiceDisabled, service_id->to_string() + " is disabled");
  AccessDecision first;
  if (allowed_endpoints(catalog, *service, head.client, configuration, &first, head.represented_party).empty()) {
    if (code != nullptr) *code = FaultCode::kAccessDenied;
    return {false, "no-right", "the client may call no endpoint of " + service_id->to_string() + ", so not read its description"};
  }
  if (service->description_url.empty()) {
    return refused(code, FaultCode::kUnknownService, service_id->to_string() + " has no description document configured");
  }
  return {true, first.rule, "may call an endpoint of " + service_id->to_string() + " (" + first.reason + ")"};
}

net::Task<Result<net::HttpResponse>> answer_metaservice(ExchangeContext& context, const ServiceCatalog& catalog,
                                                        const RequestHead& head,
                                                        const globalconf::GlobalConfiguration& configuration) {
  const std::string& name = head.service.service();
  const id::SubsystemId& provider = head.service.subsystem();
  if (name == kListMethods) {
    co_return net::HttpResponse::make(200, "application/json", services_json(list_methods(catalog, provider)));
  }
  if (name == kAllowedMethods) {
    co_return net::HttpResponse::make(
        200, "application/json",
        services_json(allowed_methods(catalog, provider, head.client, configuration, head.represented_party)));
  }
  // getOpenAPI / getWsdl, already decided by decide_metaservice on this same catalog.
  const std::optional<std::string> service_code = service_code_of(head.query);
  Result<id::ServiceId> service_id =
      service_code ? id::ServiceId::create(provider, *service_code) : Result<id::ServiceId>(invalid_argument("no code"));
  const ServiceDefinition* service = service_id.is_ok() ? catalog.find(*service_id) : nullptr;
  if (service == nullptr || service->description_url.empty()) co_return internal_error("the service is gone");
  net::HttpRequest get;
  get.method = "GET";
  get.headers = {{"Accept", name == kGetWsdl ? "application/wsdl+xml, text/xml, application/xml"
                                             : "application/json, application/yaml, text/yaml"}};
  net::ClientOptions options;
  options.timeout = std::min(service->timeout, kMaxDescriptionWait);
  options.body_limit = kMaxDescriptionBytes;
  auto fetched = co_await context.http->request(service->description_url, std::move(get), options);
  if (!fetched.is_ok()) co_return fetched.status();
  if (fetched->status != 200) {
    co_return failed_precondition("the description document answered HTTP " + std::to_string(fetched->status));
  }
  const std::string type = media_type(fetched->header("Content-Type"));
  if (!accepted_type(name, type)) {
    co_return failed_precondition("the description document has content type '" + log::bounded(type, 80) + "', not one " +
                                  name + " serves");
  }
  if (!is_utf8(fetched->body)) co_return failed_precondition("the description document is not UTF-8 text");
  co_return net::HttpResponse::make(200, type, std::move(fetched->body));
}

}  // namespace xacbe::ss
