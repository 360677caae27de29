// Strict parsing of a management request's signed bytes (docs/protocol/management-requests.md,
// "Request format"). The registry stores those bytes and never re-serialises them, so this parser
// is the one meaning they have: a request that two readers could read differently is refused.
#include <algorithm>
#include <limits>
#include <set>
#include <tuple>

#include "xacbe/calendar/business_calendar.hpp"
#include "xacbe/config/strict_json.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/management/management_request.hpp"

namespace xacbe::management {
namespace {

using Json = nlohmann::json;

// The sender's text as a message may carry it: printable ASCII, bounded, the rest escaped.
std::string shown(std::string_view text, std::size_t max = 64) {
  std::string out;
  for (unsigned char c : text.substr(0, max)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  if (text.size() > max) out += "...";
  return out;
}

Status malformed(const std::string& why) {
  return invalid_argument("malformed request: " + why);
}

// Strict JSON (config::parse_json_strict): a repeated key is refused, since another reader might
// keep the other copy and the request would not say one thing. Strings must be valid UTF-8.
Result<Json> parse_json(std::string_view text) {
  auto parsed = config::parse_json_strict(text);
  if (!parsed) return malformed(shown(parsed.status().message(), 200));
  return std::move(parsed).value();
}

Status exact_keys(const Json& object, std::initializer_list<std::string_view> names, const char* where) {
  if (!object.is_object()) return malformed(std::string("'") + where + "' is not an object");
  for (const auto& [key, value] : object.items()) {
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      return malformed(std::string("unknown field '") + where + "." + shown(key) + "'");
    }
  }
  for (std::string_view name : names) {
    if (!object.contains(name))
      return malformed(std::string("missing field '") + where + "." + std::string(name) + "'");
  }
  return Status::ok();
}

Result<std::string> text(const Json& object, const char* name, const char* where) {
  const Json& value = object.at(name);
  if (!value.is_string()) return malformed(std::string("'") + where + "." + name + "' is not a string");
  return value.get<std::string>();
}

Result<crypto::CertificateRequest> csr_at(const Json& payload, const char* name) {
  XACBE_ASSIGN_OR_RETURN(std::string pem, text(payload, name, "payload"));
  auto csr = crypto::CertificateRequest::parse(pem);
  if (!csr) return malformed("CSR: " + csr.status().message());
  return std::move(csr).value();
}

// A UTC day "YYYY-MM-DD"; parse_date echoes its input whole, so only a text of the right length
// reaches it.
Result<std::chrono::year_month_day> day_at(const Json& object, const char* name, const char* where) {
  XACBE_ASSIGN_OR_RETURN(std::string day_text, text(object, name, where));
  auto day = day_text.size() == 10 ? calendar::parse_date(day_text)
                                   : Result<calendar::Date>(invalid_argument("wrong length"));
  if (!day) {
    return malformed(std::string("'") + where + "." + name + "': '" + shown(day_text) +
                     "' is not an existing day of the form YYYY-MM-DD");
  }
  return *day;
}

Result<std::uint64_t> count_at(const Json& row, const char* name) {
  const Json& value = row.at(name);
  if (!value.is_number_unsigned() || value.get<std::uint64_t>() > kMaxUsageCount) {
    return malformed(std::string("'payload.rows[].") + name + "' is not an integer 0.." +
                     std::to_string(kMaxUsageCount));
  }
  return value.get<std::uint64_t>();
}

// A report-usage payload (docs/protocol/management-requests.md, "report-usage"): the period, at
// most kMaxUsagePeriodDays days ending no later than the day of created_at, and at most
// kMaxUsageRows rows, each of a day in the period, of the server's instance, consistent
// (requests = succeeded + failed), and no two of the same day, side, client and service.
Status parse_usage(const Json& payload, Request& r) {
  using std::chrono::sys_days;
  XACBE_RETURN_IF_ERROR(exact_keys(payload, {"from", "to", "rows"}, "payload"));
  XACBE_ASSIGN_OR_RETURN(auto from, day_at(payload, "from", "payload"));
  XACBE_ASSIGN_OR_RETURN(auto to, day_at(payload, "to", "payload"));
  if (sys_days(from) > sys_days(to)) return malformed("the period's 'from' is after its 'to'");
  if ((sys_days(to) - sys_days(from)).count() >= kMaxUsagePeriodDays) {
    return malformed("a period is at most " + std::to_string(kMaxUsagePeriodDays) + " days");
  }
  if (sys_days(to) > std::chrono::floor<std::chrono::days>(r.created_at)) {
    return malformed("the period ends after the day of created_at");
  }
  const Json& rows = payload.at("rows");
  if (!rows.is_array()) return malformed("'payload.rows' is not an array");
  if (rows.size() > kMaxUsageRows) return malformed("more than " + std::to_string(kMaxUsageRows) + " rows");
  const std::string& instance = r.server.owner().instance();
  UsageReport report{from, to, {}};
  std::set<std::tuple<int, int, std::string, std::string>> seen;
  for (const Json& row : rows) {
    XACBE_RETURN_IF_ERROR(exact_keys(
        row, {"day", "side", "client", "service", "requests", "succeeded", "failed", "refused"}, "payload.rows[]"));
    XACBE_ASSIGN_OR_RETURN(auto day, day_at(row, "day", "payload.rows[]"));
    if (sys_days(day) < sys_days(from) || sys_days(day) > sys_days(to)) {
      return malformed("a row's day is outside the period");
    }
    XACBE_ASSIGN_OR_RETURN(std::string side, text(row, "side", "payload.rows[]"));
    if (side != "client" && side != "provider") return malformed("a row's side is client or provider");
    XACBE_ASSIGN_OR_RETURN(std::string client_text, text(row, "client", "payload.rows[]"));
    auto client = id::ClientId::parse(client_text);
    if (!client) return malformed("bad client id: " + shown(client.status().message(), 200));
    XACBE_ASSIGN_OR_RETURN(std::string service_text, text(row, "service", "payload.rows[]"));
    auto service = id::ServiceId::parse(service_text);
    if (!service) return malformed("bad service id: " + shown(service.status().message(), 200));
    if (client->member().instance() != instance || service->subsystem().member().instance() != instance) {
      return malformed("a row's client and service belong to the server's instance " + instance);
    }
    UsageRow parsed{day, side == "client" ? UsageSide::kClient : UsageSide::kProvider, std::move(client).value(),
                    std::move(service).value()};
    XACBE_ASSIGN_OR_RETURN(parsed.requests, count_at(row, "requests"));
    XACBE_ASSIGN_OR_RETURN(parsed.succeeded, count_at(row, "succeeded"));
    XACBE_ASSIGN_OR_RETURN(parsed.failed, count_at(row, "failed"));
    XACBE_ASSIGN_OR_RETURN(parsed.refused, count_at(row, "refused"));
    if (parsed.succeeded + parsed.failed != parsed.requests) {
      return malformed("a row's requests are not its succeeded plus its failed");
    }
    if (!seen.emplace(sys_days(day).time_since_epoch().count(), static_cast<int>(parsed.side),
                      parsed.client.to_string(), parsed.service.to_string())
             .second) {
      return malformed("two rows of the same day, side, client and service");
    }
    report.rows.push_back(std::move(parsed));
  }
  r.usage = std::move(report);
  return Status::ok();
}

Status parse_payload(const Json& payload, Request& r) {
  switch (r.type) {
    case RequestType::kRegisterServer: {
      XACBE_RETURN_IF_ERROR(exact_keys(payload, {"address", "country", "software_version", "auth_csr"}, "payload"));
      XACBE_ASSIGN_OR_RETURN(r.address, text(payload, "address", "payload"));
      XACBE_ASSIGN_OR_RETURN(r.country, text(payload, "country", "payload"));
      XACBE_ASSIGN_OR_RETURN(r.software_version, text(payload, "software_version", "payload"));
      if (!is_server_address(r.address)) return malformed("address must be host:port");
      if (!is_country_code(r.country)) return malformed("country must be an ISO 3166-1 alpha-2 code such as MX");
      auto version = parse_version(r.software_version);
      if (!version) return malformed("software_version: " + version.status().message());
      XACBE_ASSIGN_OR_RETURN(r.csr, csr_at(payload, "auth_csr"));
      return Status::ok();
    }
    case RequestType::kSubmitCsr: {
      XACBE_RETURN_IF_ERROR(exact_keys(payload, {"key_usage", "csr"}, "payload"));
      auto usage = text(payload, "key_usage", "payload");
      if (!usage) return usage.status();
      const std::string_view name = *usage;
      if (name != "auth" && name != "sign") return malformed("key_usage is auth or sign");
      r.key_usage = name == "auth" ? KeyUsage::kAuth : KeyUsage::kSign;
      XACBE_ASSIGN_OR_RETURN(r.csr, csr_at(payload, "csr"));
      return Status::ok();
    }
    case RequestType::kRegisterAuthCertificate: {
      XACBE_RETURN_IF_ERROR(exact_keys(payload, {"certificate"}, "payload"));
      XACBE_ASSIGN_OR_RETURN(std::string pem, text(payload, "certificate", "payload"));
      auto cert = crypto::Certificate::from_pem(pem);
      if (!cert) return malformed("certificate: " + cert.status().message());
      r.certificate = std::move(cert).value();
      return Status::ok();
    }
    case RequestType::kReportVersion: {
      XACBE_RETURN_IF_ERROR(exact_keys(payload, {"version"}, "payload"));
      XACBE_ASSIGN_OR_RETURN(r.software_version, text(payload, "version", "payload"));
      auto version = parse_version(r.software_version);
      if (!version) return malformed("version: " + version.status().message());
      return Status::ok();
    }
    case RequestType::kListNotifications:
      return exact_keys(payload, {}, "payload");
    case RequestType::kAcknowledgeNotification: {
      XACBE_RETURN_IF_ERROR(exact_keys(payload, {"notification_id"}, "payload"));
      const Json& id = payload.at("notification_id");
      if (!id.is_number_unsigned() || id.get<std::uint64_t>() == 0 ||
          id.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return malformed("'payload.notification_id' is not a positive integer");
      }
      r.notification_id = static_cast<std::int64_t>(id.get<std::uint64_t>());
      return Status::ok();
    }
    case RequestType::kRegisterClient:
    case RequestType::kUnregisterClient: {
      XACBE_RETURN_IF_ERROR(exact_keys(payload, {"client"}, "payload"));
      XACBE_ASSIGN_OR_RETURN(std::string client_text, text(payload, "client", "payload"));
      auto client = id::ClientId::parse(client_text);
      if (!client) return malformed("bad client id: " + shown(client.status().message(), 200));
      // A server carries clients of its own instance only: the global configuration it reads
      // is that instance's.
      if (client->member().instance() != r.server.owner().instance()) {
        return malformed("client " + client->to_string() + " belongs to instance " + client->member().instance() +
                         ", not to the server's " + r.server.owner().instance());
      }
      r.client = std::move(client).value();
      return Status::ok();
    }
    case RequestType::kReportUsage:
      return parse_usage(payload, r);
  }
  return malformed("unknown request type");
}

}  // namespace

Result<Request> parse_request(std::string_view bytes, std::string_view instance) {
  if (bytes.size() > kMaxRequestBytes) return malformed("request over 64 KiB");
  XACBE_ASSIGN_OR_RETURN(Json j, parse_json(bytes));
  XACBE_RETURN_IF_ERROR(exact_keys(j, {"type", "server", "request_id", "created_at", "payload"}, "request"));
  XACBE_ASSIGN_OR_RETURN(std::string type_name, text(j, "type", "request"));
  XACBE_ASSIGN_OR_RETURN(RequestType type, parse_request_type(type_name));
  XACBE_ASSIGN_OR_RETURN(std::string server_text, text(j, "server", "request"));
  auto server = id::SecurityServerId::parse(server_text);
  if (!server) return malformed("bad server id: " + server.status().message());
  if (server->owner().instance() != instance) {
    return malformed("server " + server->to_string() + " belongs to instance " + server->owner().instance() +
                     "; this registry serves " + shown(instance));
  }
  XACBE_ASSIGN_OR_RETURN(std::string request_id, text(j, "request_id", "request"));
  if (!is_request_id(request_id)) return malformed("request_id must be 8..128 characters from [A-Za-z0-9._-]");
  XACBE_ASSIGN_OR_RETURN(std::string created_text, text(j, "created_at", "request"));
  // parse_time echoes its input whole; only a text of the right length reaches it.
  auto created = created_text.size() == 20 ? globalconf::parse_time(created_text)
                                           : Result<std::chrono::sys_seconds>(invalid_argument("wrong length"));
  if (!created) {
    return malformed("created_at: '" + shown(created_text) + "' is not a time of the form YYYY-MM-DDTHH:MM:SSZ");
  }
  Request r{type, std::move(server).value(), std::move(request_id), *created, {}, {}, {}, {}, KeyUsage::kAuth, {}, {},
            {}, {}};
  XACBE_RETURN_IF_ERROR(parse_payload(j.at("payload"), r));
  return r;
}

}  // namespace xacbe::management
