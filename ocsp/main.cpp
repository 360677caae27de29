// xacbe-ocsp: the RFC 6960 OCSP responder for the CEIQROO CA, over HTTP (RFC 6960 appendix A).
//   POST /  Content-Type: application/ocsp-request       -> application/ocsp-response
//   GET  /{url-encoded base64 of the DER OCSPRequest}   -> application/ocsp-response
//   GET  /health                                        -> 200 "ok"

#include <CLI/CLI.hpp>

#include "xacbe/ca/certificate_authority.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/config/config.hpp"
#include "credential_files.hpp"
#include "responder.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/service/service.hpp"

using namespace xacbe;

namespace {

struct OcspConfig {
  service::ServiceConfig service;
  std::string ca_cert_path, ca_db_path, key_path, cert_path;
  ocsp::ResponderSettings settings;
  std::chrono::seconds certificate_check{60};
};

Result<OcspConfig> read_config(const std::string& path) {
  OcspConfig out;
  XACBE_ASSIGN_OR_RETURN(config::Node root, config::Node::load(path));
  XACBE_ASSIGN_OR_RETURN(out.service, service::read_service_config(root, "ocsp"));
  XACBE_ASSIGN_OR_RETURN(config::Node node, root.object("ocsp"));
  XACBE_ASSIGN_OR_RETURN(out.ca_cert_path, node.path("ca_certificate"));
  XACBE_ASSIGN_OR_RETURN(out.ca_db_path, node.path("ca_database"));
  XACBE_ASSIGN_OR_RETURN(out.key_path, node.path("key"));
  XACBE_ASSIGN_OR_RETURN(out.cert_path, node.path("certificate"));
  XACBE_ASSIGN_OR_RETURN(std::string responder_id, config::string_or(node, "responder_id", "key"));
  if (responder_id != "key" && responder_id != "name") {
    return invalid_argument(path + ": 'ocsp.responder_id' must be \"key\" or \"name\"");
  }
  out.settings.responder_id_by_key = responder_id == "key";
  XACBE_ASSIGN_OR_RETURN(auto next_update, config::integer_or(node, "next_update_seconds", 600, 0, 7 * 86400));
  out.settings.next_update = std::chrono::seconds(next_update);
  XACBE_ASSIGN_OR_RETURN(auto max_req, config::integer_or(node, "max_request_bytes", 16384, 256, 1 << 20));
  out.settings.max_request_bytes = static_cast<std::size_t>(max_req);
  XACBE_ASSIGN_OR_RETURN(auto check, config::integer_or(node, "certificate_check_seconds", 60, 0, 86400));
  out.certificate_check = std::chrono::seconds(check);
  XACBE_RETURN_IF_ERROR(root.check_all_used());
  return out;
}

net::HttpResponse ocsp_reply(std::string der) {
  return net::HttpResponse::make(200, "application/ocsp-response", std::move(der));
}

net::HttpResponse handle(const ocsp::Responder& responder, const net::HttpRequest& request) {
  if (request.method == "GET") {
    if (request.target == "/health") return net::HttpResponse::make(200, "text/plain", "ok\n");
    if (request.target.size() < 2) return net::HttpResponse::make(404, "text/plain", "not found\n");
    // RFC 6960 A.1: the path is the URL-encoded base64 of the DER request. '+' stays '+' (a base64
    // character here). A GET whose path is not that still gets an OCSP answer: malformedRequest.
    auto decoded = crypto::percent_decode(std::string_view(request.target).substr(1));
    auto der = decoded ? crypto::base64_decode(*decoded) : Result<std::string>(decoded.status());
    return ocsp_reply(responder.respond(der ? *der : std::string()));
  }
  if (request.method != "POST") {
    auto r = net::HttpResponse::make(405, "text/plain", "use POST or GET\n");
    r.headers.emplace_back("Allow", "GET, POST");
    return r;
  }
  if (request.target != "/") return net::HttpResponse::make(404, "text/plain", "not found\n");
  if (request.header("Content-Type") != "application/ocsp-request") {
    return net::HttpResponse::make(415, "text/plain", "Content-Type must be application/ocsp-request\n");
  }
  return ocsp_reply(responder.respond(request.body));
}

int run(const std::string& config_path) {
  auto cfg = read_config(config_path);
  if (!cfg) {
    log::error("{}", cfg.status().to_string());
    return 2;
  }
  log::init(cfg->service.log);
  auto issuer = crypto::Certificate::load(cfg->ca_cert_path);
  if (!issuer) {
    log::error("{}", issuer.status().to_string());
    return 2;
  }
  SystemClock clock;
  // Read again while the service runs (certificate_check_seconds, SIGHUP).
  ocsp::CredentialFiles credential_files(cfg->key_path, cfg->cert_path, clock, cfg->certificate_check);
  auto credentials = credential_files.load();
  // The database must be the one of the CA this responder answers for.
  auto statuses = ca::CaStatusSource::open(cfg->ca_db_path, *issuer);
  for (const Status* st : {&credentials.status(), &statuses.status()}) {
    if (!st->is_ok()) {
      log::error("{}", st->to_string());
      return 2;
    }
  }
  auto responder = ocsp::Responder::create(std::move(issuer).value(), std::move(credentials->certificate),
                                           std::move(credentials->key), cfg->settings, clock, **statuses);
  if (!responder) {
    log::error("{}", responder.status().to_string());
    return 2;
  }
  ocsp::Responder& r = **responder;
  return service::serve(
      cfg->service,
      [&r, &credential_files](const net::HttpRequest& req) {
        credential_files.poll(r);
        return handle(r, req);
      },
      "OCSP responder", [&r, &credential_files] { credential_files.reload_now(r); });
}

}  // namespace

int main(int argc, char** argv) {
  service::block_termination_signals();  // before any thread starts
  CLI::App app{"Xacbe RFC 6960 OCSP responder"};
  std::string config_path;
  app.add_option("-c,--config", config_path, "configuration file (JSON)")->required();
  CLI11_PARSE(app, argc, argv);
  return run(config_path);
}
