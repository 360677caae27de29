// xacbe-tsa: the RFC 3161 time-stamping service over HTTP (RFC 3161 section 3.4).
//   POST /  Content-Type: application/timestamp-query  ->  application/timestamp-reply
//   GET  /health  -> 200 "ok"

#include <CLI/CLI.hpp>

#include "xacbe/clock.hpp"
#include "xacbe/config/config.hpp"
#include "xacbe/service/service.hpp"
#include "xacbe/store/database.hpp"
#include "timestamp_authority.hpp"

using namespace xacbe;

namespace {

struct TsaConfig {
  service::ServiceConfig service;
  std::string key_path, cert_path, chain_path, serial_db;
  bool require_synchronised_clock = false;
  tsa::TsaSettings settings;
};

Result<TsaConfig> read_config(const std::string& path) {
  TsaConfig out;
  XACBE_ASSIGN_OR_RETURN(config::Node root, config::Node::load(path));
  XACBE_ASSIGN_OR_RETURN(out.service, service::read_service_config(root, "tsa"));
  XACBE_ASSIGN_OR_RETURN(config::Node tsa, root.object("tsa"));
  XACBE_ASSIGN_OR_RETURN(out.key_path, tsa.path("key"));
  XACBE_ASSIGN_OR_RETURN(out.cert_path, tsa.path("certificate"));
  XACBE_ASSIGN_OR_RETURN(out.chain_path, tsa.path("chain"));
  XACBE_ASSIGN_OR_RETURN(out.serial_db, tsa.path("serial_db"));
  XACBE_ASSIGN_OR_RETURN(out.require_synchronised_clock, config::boolean_or(tsa, "require_synchronised_clock", false));
  auto& s = out.settings;
  XACBE_ASSIGN_OR_RETURN(s.default_policy, config::string_or(tsa, "default_policy", s.default_policy));
  if (tsa.has("other_policies")) {
    XACBE_ASSIGN_OR_RETURN(s.other_policies, tsa.strings("other_policies"));
  }
  if (tsa.has("digests")) {
    XACBE_ASSIGN_OR_RETURN(s.digests, tsa.strings("digests"));
  }
  if (tsa.has("accuracy")) {
    XACBE_ASSIGN_OR_RETURN(config::Node acc, tsa.object("accuracy"));
    XACBE_ASSIGN_OR_RETURN(auto secs, config::integer_or(acc, "seconds", s.accuracy_seconds, 0, 3600));
    XACBE_ASSIGN_OR_RETURN(auto millis, config::integer_or(acc, "millis", s.accuracy_millis, 0, 999));
    XACBE_ASSIGN_OR_RETURN(auto micros, config::integer_or(acc, "micros", s.accuracy_micros, 0, 999));
    s.accuracy_seconds = static_cast<int>(secs);
    s.accuracy_millis = static_cast<int>(millis);
    s.accuracy_micros = static_cast<int>(micros);
  }
  XACBE_ASSIGN_OR_RETURN(auto max_req, config::integer_or(tsa, "max_request_bytes", 8192, 256, 1 << 20));
  s.max_request_bytes = static_cast<std::size_t>(max_req);
  XACBE_RETURN_IF_ERROR(root.check_all_used());
  return out;
}

net::HttpResponse handle(const tsa::TimestampAuthority& authority, const net::HttpRequest& request) {
  if (request.target == "/health" && request.method == "GET") return net::HttpResponse::make(200, "text/plain", "ok\n");
  if (request.target != "/") return net::HttpResponse::make(404, "text/plain", "not found\n");
  if (request.method != "POST") {
    auto r = net::HttpResponse::make(405, "text/plain", "use POST with application/timestamp-query\n");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  if (request.header("Content-Type") != "application/timestamp-query") {
    return net::HttpResponse::make(415, "text/plain", "Content-Type must be application/timestamp-query\n");
  }
  // Bad queries still get a TimeStampResp (a rejection) with 200, as RFC 3161 section 3.4 expects.
  return net::HttpResponse::make(200, "application/timestamp-reply", authority.respond(request.body));
}

int run(const std::string& config_path) {
  auto cfg = read_config(config_path);
  if (!cfg) {
    log::error("{}", cfg.status().to_string());
    return 2;
  }
  log::init(cfg->service.log);
  auto key = crypto::PrivateKey::load(cfg->key_path);
  auto cert = crypto::Certificate::load(cfg->cert_path);
  auto chain = crypto::load_certificates(cfg->chain_path);
  auto db = store::Database::open(cfg->serial_db);
  for (const Status* st : {&key.status(), &cert.status(), &chain.status(), &db.status()}) {
    if (!st->is_ok()) {
      log::error("{}", st->to_string());
      return 2;
    }
  }
  auto serials = tsa::StoredSerialSource::create(std::move(db).value());
  if (!serials) {
    log::error("{}", serials.status().to_string());
    return 2;
  }
  SystemClock system_clock;
  SynchronisedSystemClock synchronised_clock;
  const Clock& clock = cfg->require_synchronised_clock ? static_cast<const Clock&>(synchronised_clock) : system_clock;
  auto authority = tsa::TimestampAuthority::create(std::move(key).value(), std::move(cert).value(),
                                                   std::move(chain).value(), cfg->settings, clock, **serials);
  if (!authority) {
    log::error("{}", authority.status().to_string());
    return 2;
  }
  const tsa::TimestampAuthority& a = **authority;
  return service::serve(cfg->service, [&a](const net::HttpRequest& r) { return handle(a, r); }, "time-stamping authority");
}

}  // namespace

int main(int argc, char** argv) {
  service::block_termination_signals();  // before any thread starts
  CLI::App app{"Xacbe RFC 3161 time-stamping authority"};
  std::string config_path;
  app.add_option("-c,--config", config_path, "configuration file (JSON)")->required();
  CLI11_PARSE(app, argc, argv);
  return run(config_path);
}
