#include "support/e2e/registry_process.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <utility>
#include <vector>

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

std::string RegistryProcess::Reply::error_field(const char* name) const {
  if (!json.is_object() || !json.contains("error") || !json["error"].is_object()) return {};
  return json["error"].value(name, "");
}

nlohmann::json& RegistryProcess::publish_globalconf(const std::string& download_url, const std::string& ocsp_url,
                                                    const std::string& tsa_url) {
  return config_["registry"]["globalconf"] = {{"download_url", download_url},
                                              {"signing_key", "globalconf-signing.key"},
                                              {"signing_certificate", "globalconf-signing.pem"},
                                              {"ocsp_urls", {ocsp_url}},
                                              {"ocsp_certificate", "ocsp.pem"},
                                              {"tsa_url", tsa_url},
                                              {"tsa_certificate", "tsa.pem"}};
}

RegistryProcess::RegistryProcess(TrustServices& services, std::string binary)
    : services_(services), binary_(std::move(binary)) {
  std::filesystem::copy_file(std::string(XACBE_SOURCE_DIR) + "/conf/business-calendar.json",
                             services_.dir().file("business-calendar.json"),
                             std::filesystem::copy_options::overwrite_existing);
  admin_ = generate_token("admin");
  auditor_ = generate_token("auditor");
  config_ = {{"listen", {{"address", "127.0.0.1"}, {"port", 0}, {"threads", 2}, {"idle_timeout_ms", 5000}}},
             {"log", {{"level", "info"}}},
             {"registry",
              {{"instance", "QROO"},
               {"database", "registry.db"},
               {"calendar", "business-calendar.json"},
               {"ca_directory", "ca"},
               {"schedule_seconds", 3600},
               // No SMTP server listens here: notification mail waits in the outbox.
               {"smtp", {{"url", "smtp://127.0.0.1:9"}, {"from", "notificaciones@ceiqroo.example.mx"}}},
               {"users",
                {{"admin", {{"role", "administrator"}, {"token_sha256", admin_.sha256}}},
                 {"auditor", {{"role", "auditor"}, {"token_sha256", auditor_.sha256}}}}}}}};
}

RegistryProcess::Token RegistryProcess::generate_token(const std::string& name) const {
  const CommandResult r = services_.cli({"token", "generate"});
  static const std::regex kOutput(R"(token ([0-9a-f]+)\ntoken_sha256 ([0-9a-f]{64}))");
  std::smatch m;
  if (r.exit_code != 0 || !std::regex_search(r.output, m, kOutput)) {
    throw std::runtime_error("xacbe token generate: " + r.output);
  }
  Token token{m[1], m[2], services_.dir().file(name + ".token")};
  write_text(token.file, token.secret + "\n");
  std::filesystem::permissions(token.file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return token;
}

void RegistryProcess::start() {
  write_text(config_path(), config_.dump(2));
  process_.reset();
  process_ = std::make_unique<ChildProcess>(std::vector<std::string>{binary_, "--config", config_path()},
                                            services_.dir().file("registry.log"));
  const auto port = process_->wait_for_port();
  if (!port) throw std::runtime_error("xacbe-central-registry did not start: " + process_->log());
  port_ = *port;
  tls_ = config_["listen"].contains("tls");
}

int RegistryProcess::stop(int signal) {
  return process_ ? process_->stop(signal) : -1;
}

int RegistryProcess::restart(int signal) {
  const int status = stop(signal);
  start();
  return status;
}

std::string RegistryProcess::url() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

std::string RegistryProcess::log() const {
  return process_ ? process_->log() : std::string();
}

RegistryProcess::Reply RegistryProcess::call(const std::string& method, const std::string& target,
                                             const std::string& body, As as, const std::string& content_type) {
  net::HttpRequest request;
  request.method = method;
  request.body = body;
  if (as == As::kAdministrator) request.headers.emplace_back("Authorization", "Bearer " + admin_.secret);
  if (as == As::kAuditor) request.headers.emplace_back("Authorization", "Bearer " + auditor_.secret);
  if (as == As::kWrongToken) request.headers.emplace_back("Authorization", "Bearer " + std::string(64, 'a'));
  if (!body.empty() && !content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  return send(target, std::move(request));
}

RegistryProcess::Reply RegistryProcess::send(const std::string& target, net::HttpRequest request) {
  const std::string method = request.method;
  auto response = net::http_request(url() + target, std::move(request));
  Reply reply;
  if (!response) {
    ADD_FAILURE() << method << " " << target << ": " << response.status().to_string();
    return reply;
  }
  reply.status = response->status;
  reply.json = Json::parse(response->body, nullptr, false);
  reply.http = std::move(*response);
  return reply;
}

nlohmann::json application_for(const std::string& member, const std::string& name) {
  return {{"member", member},
          {"member_name", name},
          {"agreement_reference", "CEIQROO/CC/2026/017"},
          {"responsible",
           {{"name", "Ana Pérez Canul"}, {"email", "ana.perez@fgeqroo.gob.mx"}, {"phone", "+52 983 000 0001"}}},
          {"administrator",
           {{"name", "Luis May Chan"}, {"email", "luis.may@fgeqroo.gob.mx"}, {"phone", "+52 983 000 0002"}}},
          {"liaison", {{"name", "Mesa de enlace"}, {"email", "enlace@fgeqroo.gob.mx"}}},
          {"security",
           {{"integrity", "Signed and time-stamped messages"},
            {"traceability", "Message log kept for five years"},
            {"confidentiality", "Mutual TLS between security servers"},
            {"availability", "Two nodes, monitored"}}}};
}

}  // namespace xacbe::testing
