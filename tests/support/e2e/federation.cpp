#include "support/e2e/federation.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "support/smtp_server.hpp"
#include "xacbe/crypto/csr.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/management/management_request.hpp"

namespace xacbe::testing {
namespace {

template <typename T>
T value_or_throw(Result<T> r, const std::string& what) {
  if (!r.is_ok()) throw std::runtime_error(what + ": " + r.status().to_string());
  return std::move(r).value();
}

void write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::chrono::sys_seconds now_seconds() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

nlohmann::json envelope(const management::SignedRequest& s) {
  return {{"request", crypto::base64_encode(s.request)}, {"signature", crypto::base64_encode(s.signature)}};
}

}  // namespace

void SecurityServerNode::start(const std::vector<std::string>& environment) {
  if (process_) process_->stop(9);
  write(file("security-server.json"), config.dump(2));
  process_ = std::make_unique<ChildProcess>(std::vector<std::string>{binary_, "--config", file("security-server.json")},
                                            file("security-server.log"), environment);
  if (!process_->wait_for_port()) throw std::runtime_error("xacbe-security-server did not start: " + process_->log());
}

namespace {

// Runs `sql` read-only on `db`, calling `row` for each result row.
template <typename Row>
bool query(const std::string& db, const std::string& sql, Row row) {
  sqlite3* handle = nullptr;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(handle);
    return false;
  }
  sqlite3_stmt* stmt = nullptr;
  const bool ok = sqlite3_prepare_v2(handle, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK;
  while (ok && sqlite3_step(stmt) == SQLITE_ROW) row(stmt);
  sqlite3_finalize(stmt);
  sqlite3_close(handle);
  return ok;
}

}  // namespace

int SecurityServerNode::count_records(const std::string& where) const {
  int n = -1;
  query(file("register.db"), "SELECT count(*) FROM records WHERE " + where,
        [&](sqlite3_stmt* stmt) { n = sqlite3_column_int(stmt, 0); });
  return n;
}

std::string SecurityServerNode::record_column(const std::string& column, const std::string& where) const {
  std::string out;
  bool first = true;
  query(file("register.db"), "SELECT " + column + " FROM records WHERE " + where + " ORDER BY seq LIMIT 1",
        [&](sqlite3_stmt* stmt) {
          if (!first) return;
          first = false;
          const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, 0));
          out.assign(data ? data : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
        });
  return out;
}

std::set<std::string> SecurityServerNode::message_ids(const std::string& where) const {
  std::set<std::string> out;
  query(file("register.db"), "SELECT message_id FROM records WHERE " + where, [&](sqlite3_stmt* stmt) {
    out.insert(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  });
  return out;
}

int SecurityServerNode::stop(int signal) { return process_ ? process_->stop(signal) : -1; }

void SecurityServerNode::add_client(const std::string& client, const std::string& mode,
                                    const std::vector<std::string>& certificates) {
  nlohmann::json c = {{"connection", mode}};
  if (!certificates.empty()) c["certificates"] = certificates;
  config["security_server"]["clients"][client] = c;
}

void SecurityServerNode::add_service(const std::string& service, const std::string& url,
                                     const std::vector<std::string>& access, const std::vector<std::string>& endpoints) {
  nlohmann::json s = {{"url", url}, {"access", access}};
  if (!endpoints.empty()) s["endpoints"] = endpoints;
  config["security_server"]["services"][service] = s;
}

Federation::Federation(FederationExecutables bin)
    : bin_(std::move(bin)), services_(bin_.trust), registry_(services_, bin_.registry) {
  services_.start_tsa();
  services_.start_ocsp();
  const unsigned port = free_port();
  registry_.config()["listen"]["port"] = port;
  registry_.publish_globalconf("http://127.0.0.1:" + std::to_string(port) + "/globalconf/QROO", services_.ocsp_url(),
                               services_.tsa_url());
  registry_.start();
}

RegistryProcess::Reply Federation::admin(const std::string& method, const std::string& target,
                                         const nlohmann::json& body, int expected) {
  auto reply = registry_.call(method, target, body.is_null() ? std::string() : body.dump());
  if (reply.status != expected) {
    throw std::runtime_error(method + " " + target + ": HTTP " + std::to_string(reply.status) + " " + reply.http.body);
  }
  return reply;
}

void Federation::admit(const std::string& member, const std::string& name, const std::vector<std::string>& subsystems) {
  const auto applied = admin("POST", "/api/v1/applications", application_for(member, name), 201);
  admin("POST", "/api/v1/applications/" + std::to_string(applied.json.value("id", 0)) + "/admit", nullptr, 200);
  for (const auto& code : subsystems) {
    admin("POST", "/api/v1/members/" + member + "/subsystems", {{"subsystem_code", code}}, 201);
  }
}

SecurityServerNode& Federation::add_server(const std::string& id_text, crypto::KeyType key_type) {
  auto node = std::make_unique<SecurityServerNode>();
  SecurityServerNode& n = *node;
  n.id = id_text;
  n.binary_ = bin_.security_server;
  n.dir = services_.dir().file("ss-" + std::to_string(nodes_.size() + 1));
  std::filesystem::create_directories(n.dir);
  n.client_port = free_port();
  n.provider_port = free_port();
  const auto id = value_or_throw(id::SecurityServerId::parse(id_text), "server id");

  // Authentication key and certificate: register-server, signed the bootstrap way, approved.
  auto auth_key = value_or_throw(crypto::PrivateKey::generate(key_type), "auth key");
  auto auth_csr = value_or_throw(crypto::CertificateRequest::create(auth_key, {{"CN", id_text}}), "auth csr");
  const auto registration = management::make_register_server(
      id, now_seconds(), "127.0.0.1:" + std::to_string(n.provider_port), "MX", "1.0.0", std::move(auth_csr));
  const auto signed_registration =
      value_or_throw(management::sign_bootstrap_request(registration, auth_key, std::chrono::system_clock::now()), "sign");
  auto submitted = registry_.call("POST", "/api/v1/management-requests", envelope(signed_registration).dump(),
                                  RegistryProcess::As::kAnonymous);
  if (submitted.status != 201) throw std::runtime_error("register-server: " + submitted.http.body);
  auto approved = admin("POST", "/api/v1/management-requests/" + std::to_string(submitted.json.value("id", 0)) + "/approve",
                        nullptr, 200);
  n.auth_key = n.file("auth.key");
  n.auth_cert = n.file("auth.pem");
  if (!auth_key.save(n.auth_key).is_ok()) throw std::runtime_error("cannot save the auth key");
  write(n.auth_cert, approved.json.value("issued_certificate", ""));
  const auto auth_cert = value_or_throw(crypto::Certificate::load(n.auth_cert), "auth certificate");

  // The owner's signing key: submit-csr (sign), signed with the new authentication certificate.
  auto sign_key = value_or_throw(crypto::PrivateKey::generate(key_type), "sign key");
  auto sign_csr = value_or_throw(crypto::CertificateRequest::create(sign_key, {{"CN", id.owner().to_string()}}), "csr");
  const auto request = management::make_submit_csr(id, now_seconds(), management::KeyUsage::kSign, std::move(sign_csr));
  const auto signed_request = value_or_throw(management::sign_request(request, auth_key, auth_cert), "sign");
  submitted = registry_.call("POST", "/api/v1/management-requests", envelope(signed_request).dump(),
                             RegistryProcess::As::kAnonymous);
  if (submitted.status != 201) throw std::runtime_error("submit-csr: " + submitted.http.body);
  approved = admin("POST", "/api/v1/management-requests/" + std::to_string(submitted.json.value("id", 0)) + "/approve",
                   nullptr, 200);
  const std::string owner = id.owner().to_string();
  n.signing[owner] = {n.file("sign.key"), n.file("sign.pem")};
  if (!sign_key.save(n.file("sign.key")).is_ok()) throw std::runtime_error("cannot save the sign key");
  write(n.file("sign.pem"), approved.json.value("issued_certificate", ""));

  write(n.file("anchor.json"), registry_.get("/api/v1/configuration-anchor").http.body);
  n.config = {{"listen",
               {{"address", "127.0.0.1"}, {"port", n.client_port}, {"threads", 2}, {"workers", 2}, {"idle_timeout_ms", 5000}}},
              {"log", {{"level", "info"}}},
              {"security_server",
               {{"id", id_text},
                {"anchor", "anchor.json"},
                {"globalconf_file", "globalconf.json"},
                {"globalconf_refresh_seconds", 1},
                {"register", "register.db"},
                {"auth", {{"key", "auth.key"}, {"certificate", "auth.pem"}}},
                {"signing", {{owner, {{"key", "sign.key"}, {"certificate", "sign.pem"}}}}},
                {"provider_listen", {{"address", "127.0.0.1"}, {"port", n.provider_port}}},
                {"clients", nlohmann::json::object()}}}};
  nodes_.push_back(std::move(node));
  return n;
}

void Federation::add_hosted_signing_key(SecurityServerNode& node, const std::string& member, const std::string& name) {
  const std::string base = node.file("sign-" + std::to_string(++requests_));
  const std::string subject = "C=MX,O=" + name + ",CN=" + member + ",serialNumber=" + member;
  auto run = [&](std::vector<std::string> args) {
    auto r = services_.cli(std::move(args));
    if (r.exit_code != 0) throw std::runtime_error("xacbe: " + r.output);
  };
  run({"key", "generate", "--type", "ec-p256", "--out", base + ".key"});
  run({"csr", "create", "--key", base + ".key", "--subject", "CN=" + member, "--out", base + ".csr"});
  run({"ca", "issue", "--profile", "sign", "--csr", base + ".csr", "--subject", subject, "--out", base + ".pem"});
  node.signing[member] = {base + ".key", base + ".pem"};
  node.config["security_server"]["signing"][member] = {{"key", base + ".key"}, {"certificate", base + ".pem"}};
}

void Federation::register_client(SecurityServerNode& node, const std::string& client) {
  const auto id = value_or_throw(id::SecurityServerId::parse(node.id), "server id");
  const auto key = value_or_throw(crypto::PrivateKey::load(node.auth_key), "auth key");
  const auto cert = value_or_throw(crypto::Certificate::load(node.auth_cert), "auth certificate");
  const auto request =
      management::make_register_client(id, now_seconds(), value_or_throw(id::ClientId::parse(client), "client id"));
  const auto signed_request = value_or_throw(management::sign_request(request, key, cert), "sign");
  auto submitted = registry_.call("POST", "/api/v1/management-requests", envelope(signed_request).dump(),
                                  RegistryProcess::As::kAnonymous);
  if (submitted.status != 201) throw std::runtime_error("register-client: " + submitted.http.body);
  admin("POST", "/api/v1/management-requests/" + std::to_string(submitted.json.value("id", 0)) + "/approve", nullptr,
        200);
}

void Federation::enable_client_tls(SecurityServerNode& node) {
  const std::string name = "client-tls-" + std::to_string(++requests_);
  const std::string pem = services_.issue("service", name, {"--ip", "127.0.0.1"});
  node.client_tls_port = free_port();
  node.config["security_server"]["client_tls"] = {
      {"port", node.client_tls_port}, {"key", services_.dir().file(name + ".key")}, {"certificate", pem}};
}

}  // namespace xacbe::testing
