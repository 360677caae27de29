#include "server_commands.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server_directory.hpp"
#include "terminal.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/csr.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/file.hpp"
#include "xacbe/management/management_request.hpp"
#include "xacbe/management/registry_client.hpp"
#include "xacbe/net/http_client.hpp"

namespace xacbe::tools {
namespace {

using Json = nlohmann::json;
using management::KeyUsage;

const SystemClock kClock;
constexpr KeyUsage kUsages[] = {KeyUsage::kAuth, KeyUsage::kSign};


std::string string_member(const Json& object, const char* key) {
  return object.is_object() && object.contains(key) && object[key].is_string() ? object[key].get<std::string>()
                                                                               : std::string();
}

std::chrono::sys_seconds now_seconds() {
  return std::chrono::floor<std::chrono::seconds>(kClock.now());
}

// What the registry shows as csr_key_sha256, and the member confirms out of band: the SHA-256 of
// the public key (DER SubjectPublicKeyInfo). Public, unlike the key.
std::string public_key_sha256(const crypto::PrivateKey& key) {
  return crypto::to_hex(crypto::sha256(key.public_key_der()));
}

bool certifies(const crypto::Certificate& cert, const crypto::PrivateKey& key) {
  const EVP_PKEY* certified = X509_get0_pubkey(cert.get());
  return certified != nullptr && EVP_PKEY_eq(certified, key.get()) == 1;
}

// Where the registry is and the CEIQROO root: for an https:// registry, and the chain check of
// collected certificates.
struct Registry {
  std::string url;
  std::string ca_file;
};

Result<net::ClientOptions> client_options(const Registry& registry) {
  XACBE_ASSIGN_OR_RETURN(net::Url url, net::parse_url(registry.url));
  net::ClientOptions options;
  if (url.tls) {
    net::TlsOptions tls;
    XACBE_ASSIGN_OR_RETURN(tls.trusted, crypto::load_certificates(registry.ca_file));
    XACBE_ASSIGN_OR_RETURN(options.tls, net::TlsContext::create_client(std::move(tls)));
  }
  return options;
}

std::string base_url(const Registry& registry) {
  std::string base = registry.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

// ---- init ----

Status init(const ServerDirectory& dir, const std::string& id_text, const std::string& key_type) {
  XACBE_ASSIGN_OR_RETURN(id::SecurityServerId id, id::SecurityServerId::parse(id_text));
  XACBE_ASSIGN_OR_RETURN(crypto::KeyType type, crypto::parse_key_type(key_type));
  for (const KeyUsage usage : kUsages) {
    if (dir.has(ServerDirectory::name(usage, "key"))) {
      return Status(Code::kAlreadyExists, dir.file(usage, "key") + " exists: init never replaces a key");
    }
  }
  std::error_code ec;
  if (std::filesystem::create_directories(dir.path(), ec)) ::chmod(dir.path().c_str(), 0700);
  if (ec) return unavailable("cannot create " + dir.path() + ": " + ec.message());
  std::cout << "server-id " << id.to_string() << "\n";
  for (const KeyUsage usage : kUsages) {
    // The CA writes its own subject; CN only tells a person what the CSR is for.
    const std::string cn = usage == KeyUsage::kAuth ? id.to_string() : id.owner().to_string();
    XACBE_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::generate(type));
    XACBE_ASSIGN_OR_RETURN(crypto::CertificateRequest csr, crypto::CertificateRequest::create(key, {{"CN", cn}}));
    XACBE_RETURN_IF_ERROR(key.save(dir.file(usage, "key")));
    XACBE_RETURN_IF_ERROR(write_file_atomic(dir.file(usage, "csr"), csr.pem()));
    std::cout << ServerDirectory::name(usage, "key") << " " << crypto::describe_key(key.get()) << ", public key sha256 "
              << public_key_sha256(key) << "\n"
              << ServerDirectory::name(usage, "csr") << " CN=" << cn << "\n";
  }
  return write_file_atomic(dir.file("server-id"), id.to_string() + "\n");
}

// ---- Requests sent to the registry ----

// Sends `request` and prints the registry's id and state for it; returns that id.
Result<std::int64_t> send_signed(const Registry& registry, const management::SignedRequest& request,
                                 const std::string& what) {
  XACBE_ASSIGN_OR_RETURN(net::ClientOptions options, client_options(registry));
  auto answer = management::send_request(base_url(registry), request, options);
  if (!answer) {
    return Status(answer.status().code(),
                  what + " not accepted by " + base_url(registry) + ": " + answer.status().message());
  }
  const Json body = Json::parse(answer->body, nullptr, false);
  if (!body.is_object() || !body.contains("id") || !body["id"].is_number_integer()) {
    return invalid_argument("the registry's answer to the " + what + " names no request id");
  }
  const std::int64_t id = body["id"].get<std::int64_t>();
  const std::string state = string_member(body, "state");
  std::cout << what << " request " << id << " " << printable(state) << "\n";
  return id;
}

// A request signed with the server's authentication key under its installed certificate.
Result<management::SignedRequest> sign_with_auth(const ServerDirectory& dir, const management::Request& request) {
  if (!dir.has("auth.pem")) {
    return failed_precondition(dir.file("auth.pem") +
                               " is not installed: register the server and collect its authentication certificate "
                               "first (xacbe server register, then xacbe server collect)");
  }
  XACBE_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::load(dir.file("auth.key")));
  XACBE_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::load(dir.file("auth.pem")));
  if (!certifies(cert, key)) {
    return failed_precondition(dir.file("auth.pem") + " does not certify the key in " + dir.file("auth.key"));
  }
  return management::sign_request(request, key, cert);
}

struct Registration {
  std::string address, country, software_version;
};

Status register_server(const ServerDirectory& dir, const Registry& registry, const Registration& r) {
  XACBE_ASSIGN_OR_RETURN(id::SecurityServerId id, dir.server_id());
  XACBE_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::load(dir.file("auth.key")));
  XACBE_ASSIGN_OR_RETURN(std::string csr_text, read_file(dir.file("auth.csr")));
  XACBE_ASSIGN_OR_RETURN(crypto::CertificateRequest csr, crypto::CertificateRequest::parse(csr_text));
  const management::Request request =
      management::make_register_server(id, now_seconds(), r.address, r.country, r.software_version, std::move(csr));
  // Refused when auth.key is not the key of auth.csr.
  XACBE_ASSIGN_OR_RETURN(management::SignedRequest signed_request,
                         management::sign_bootstrap_request(request, key, kClock.now()));
  XACBE_ASSIGN_OR_RETURN(std::int64_t request_id, send_signed(registry, signed_request, "register-server"));
  XACBE_RETURN_IF_ERROR(dir.record(KeyUsage::kAuth, request_id));
  std::cout << "server " << id.to_string() << " at " << r.address << " (" << r.country << "), version "
            << r.software_version << "\n"
            << "auth public key sha256 " << public_key_sha256(key)
            << ": the member's responsible person confirms it to the CEIQROO\n"
            << "recorded auth " << request_id << " in " << dir.file("requests")
            << "; run xacbe server collect once it is approved\n";
  return Status::ok();
}

Status submit_csr(const ServerDirectory& dir, const Registry& registry, KeyUsage usage) {
  XACBE_ASSIGN_OR_RETURN(id::SecurityServerId id, dir.server_id());
  XACBE_ASSIGN_OR_RETURN(std::string csr_text, read_file(dir.file(usage, "csr")));
  XACBE_ASSIGN_OR_RETURN(crypto::CertificateRequest csr, crypto::CertificateRequest::parse(csr_text));
  const management::Request request = management::make_submit_csr(id, now_seconds(), usage, std::move(csr));
  XACBE_ASSIGN_OR_RETURN(management::SignedRequest signed_request, sign_with_auth(dir, request));
  const std::string what = "submit-csr " + std::string(management::key_usage_name(usage));
  XACBE_ASSIGN_OR_RETURN(std::int64_t request_id, send_signed(registry, signed_request, what));
  XACBE_RETURN_IF_ERROR(dir.record(usage, request_id));
  std::cout << "recorded " << management::key_usage_name(usage) << " " << request_id << " in " << dir.file("requests")
            << "; run xacbe server collect once it is approved\n";
  return Status::ok();
}

Status change_client(const ServerDirectory& dir, const Registry& registry, const std::string& client_text, bool carry) {
  XACBE_ASSIGN_OR_RETURN(id::SecurityServerId id, dir.server_id());
  XACBE_ASSIGN_OR_RETURN(id::ClientId client, id::ClientId::parse(client_text));
  const management::Request request = carry ? management::make_register_client(id, now_seconds(), client)
                                            : management::make_unregister_client(id, now_seconds(), client);
  XACBE_ASSIGN_OR_RETURN(management::SignedRequest signed_request, sign_with_auth(dir, request));
  const std::string what = std::string(carry ? "register-client " : "unregister-client ") + client.to_string();
  return send_signed(registry, signed_request, what).status();
}

// ---- collect ----

// What the public certificate route said about one request.
struct Issued {
  std::optional<crypto::Certificate> certificate;  // set: issued
  std::string state;                               // otherwise "pending" or "declined"
};

// GET /api/v1/management-requests/{id}/certificate. Its 404 names the request's state in a
// message of the form "management request <id> is <state>..." (docs/protocol/management-requests.md).
Result<Issued> fetch_issued(const Registry& registry, const net::ClientOptions& options, std::int64_t id) {
  net::HttpRequest http;
  http.method = "GET";
  http.headers = {{"Accept", "application/pem-certificate-chain, application/json"}};
  const std::string url =
      base_url(registry) + std::string(management::kRegistryPath) + "/" + std::to_string(id) + "/certificate";
  auto response = net::http_request(url, std::move(http), options);
  if (!response) {
    return Status(response.status().code(),
                  "no answer from the registry at " + base_url(registry) + ": " + response.status().message());
  }
  if (response->status == 200) {
    auto cert = crypto::Certificate::from_pem(response->body);
    if (!cert) return invalid_argument("the registry's certificate for request " + std::to_string(id) + " is not one");
    return Issued{std::move(cert).value(), "approved"};
  }
  const Json body = Json::parse(response->body, nullptr, false);
  std::string code, message;
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    code = string_member(body["error"], "code");
    message = string_member(body["error"], "message");
  }
  const std::string prefix = "management request " + std::to_string(id) + " is ";
  for (const char* state : {"pending", "declined"}) {
    if (response->status == 404 && message.rfind(prefix + state, 0) == 0) return Issued{std::nullopt, state};
  }
  if (code == "NOT_FOUND") return not_found("registry: " + printable(message));
  return invalid_argument("registry answered HTTP " + std::to_string(response->status) + " for request " +
                          std::to_string(id) + (message.empty() ? "" : ": " + printable(message)));
}

// Installs `cert` as the certificate of `usage` once it certifies that usage's key and, given
// roots, chains to them; refuses and installs nothing otherwise.
Status install(const ServerDirectory& dir, KeyUsage usage, std::int64_t id, const crypto::Certificate& cert,
               const std::vector<crypto::Certificate>& roots) {
  const std::string what =
      "the certificate request " + std::to_string(id) + " issued (serial " + cert.serial_hex() + ")";
  XACBE_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::load(dir.file(usage, "key")));
  if (!certifies(cert, key)) {
    return permission_denied(what + " is not for the key in " + dir.file(usage, "key") + ": not installed");
  }
  if (!roots.empty()) {
    const Status chained = crypto::verify_chain(cert, roots, {}, kClock.now());
    if (!chained.is_ok()) {
      return permission_denied(what + " does not chain to the given CA: " + chained.message() + "; not installed");
    }
  }
  return write_file_atomic(dir.file(usage, "pem"), cert.pem());
}

// One waiting request: installed, still pending or declined (recorded in `r.outcome`).
Status collect_one(const ServerDirectory& dir, const Registry& registry, const net::ClientOptions& options,
                   const std::vector<crypto::Certificate>& roots, RecordedRequest& r) {
  XACBE_ASSIGN_OR_RETURN(Issued issued, fetch_issued(registry, options, r.id));
  const std::string usage(management::key_usage_name(r.usage));
  std::cout << usage << " request " << r.id << ": ";
  if (!issued.certificate) {
    if (issued.state == "declined") r.outcome = "declined";
    std::cout << (issued.state == "declined" ? "declined" : "still pending") << "\n";
    return Status::ok();
  }
  const crypto::Certificate& cert = *issued.certificate;
  const Status installed = install(dir, r.usage, r.id, cert, roots);
  if (!installed.is_ok()) {
    std::cout << "refused\n";
    return installed;
  }
  r.outcome = "installed " + cert.serial_hex();
  std::cout << "installed " << ServerDirectory::name(r.usage, "pem") << " (" << printable(cert.subject()) << ", serial "
            << cert.serial_hex() << ", valid until " << to_iso8601_utc(cert.not_after()) << ")\n";
  return Status::ok();
}

// Every refusal but the last is printed here; the last is the command's outcome.
Status collect(const ServerDirectory& dir, const Registry& registry) {
  XACBE_ASSIGN_OR_RETURN(std::vector<RecordedRequest> requests, dir.requests());
  XACBE_ASSIGN_OR_RETURN(net::ClientOptions options, client_options(registry));
  std::vector<crypto::Certificate> roots;
  if (!registry.ca_file.empty()) {
    XACBE_ASSIGN_OR_RETURN(roots, crypto::load_certificates(registry.ca_file));
  }
  Status outcome;
  bool waiting = false;
  for (RecordedRequest& r : requests) {
    if (!r.outcome.empty()) continue;
    waiting = true;
    Status st = collect_one(dir, registry, options, roots, r);
    if (st.is_ok()) continue;
    if (!outcome.is_ok()) std::cerr << "xacbe: " << outcome.to_string() << "\n";
    outcome = std::move(st);
  }
  if (!waiting) std::cout << "no request is waiting for a certificate\n";
  XACBE_RETURN_IF_ERROR(dir.write_requests(requests));
  return outcome;
}

// ---- status ----

std::string key_line(const std::string& path) {
  auto key = crypto::PrivateKey::load(path);
  if (!key) return "unreadable: " + key.status().message();
  std::string line = crypto::describe_key(key->get()) + ", public key sha256 " + public_key_sha256(*key);
  std::error_code ec;
  using std::filesystem::perms;
  const perms mode = std::filesystem::status(path, ec).permissions();
  if (!ec && (mode & (perms::group_all | perms::others_all)) != perms::none) {
    line += "; WARNING: readable by others than its owner (chmod 600)";
  }
  return line;
}

std::string certificate_line(const ServerDirectory& dir, KeyUsage usage) {
  auto cert = crypto::Certificate::load(dir.file(usage, "pem"));
  if (!cert) return "unreadable: " + cert.status().message();
  std::string line = printable(cert->subject()) + ", serial " + cert->serial_hex() + ", valid " +
                     to_iso8601_utc(cert->not_before()) + " to " + to_iso8601_utc(cert->not_after());
  if (is_after(kClock.now(), cert->not_after())) line += " (EXPIRED)";
  auto key = crypto::PrivateKey::load(dir.file(usage, "key"));
  if (key && !certifies(*cert, *key)) line += "; WARNING: not for the key in " + ServerDirectory::name(usage, "key");
  return line;
}

Status status(const ServerDirectory& dir) {
  if (!std::filesystem::is_directory(dir.path())) return not_found(dir.path() + " is not a directory");
  auto id = dir.server_id();
  std::cout << "server-id " << (id ? id->to_string() : "missing: " + id.status().message()) << "\n";
  for (const KeyUsage usage : kUsages) {
    for (const char* extension : {"key", "csr", "pem"}) {
      const std::string name = ServerDirectory::name(usage, extension);
      std::cout << name << " ";
      if (!dir.has(name)) {
        std::cout << "missing\n";
      } else if (std::string_view(extension) == "key") {
        std::cout << key_line(dir.file(name)) << "\n";
      } else if (std::string_view(extension) == "pem") {
        std::cout << certificate_line(dir, usage) << "\n";
      } else {
        auto text = read_file(dir.file(name));
        auto csr = text ? crypto::CertificateRequest::parse(*text) : Result<crypto::CertificateRequest>(text.status());
        std::cout << (csr ? printable(csr->subject()) : "unreadable: " + csr.status().message()) << "\n";
      }
    }
  }
  XACBE_ASSIGN_OR_RETURN(std::vector<RecordedRequest> requests, dir.requests());
  for (const auto& r : requests) {
    std::cout << "request " << management::key_usage_name(r.usage) << " " << r.id << " "
              << (r.outcome.empty() ? "waiting" : r.outcome) << "\n";
  }
  return Status::ok();
}

// ---- Command line ----

const CLI::Validator kServerId = tools::identifier<id::SecurityServerId>("INSTANCE/CLASS/CODE/SERVERCODE");

const CLI::Validator kClientId = tools::identifier<id::ClientId>("INSTANCE/CLASS/CODE[/SUBSYSTEM]");

const CLI::Validator kAddress(
    [](const std::string& text) -> std::string {
      return management::is_server_address(text)
                 ? std::string()
                 : "'" + printable(text) +
                       "' is not host:port (a host name, IPv4 address or [IPv6] address; port 1-65535)";
    },
    "HOST:PORT");

const CLI::Validator kCountry(
    [](const std::string& text) -> std::string {
      return management::is_country_code(text) ? std::string()
                                               : "'" + printable(text) + "' is not an ISO 3166-1 alpha-2 country code";
    },
    "CC");

const CLI::Validator kVersion(
    [](const std::string& text) -> std::string {
      auto version = management::parse_version(text);
      return version ? std::string() : version.status().message();
    },
    "VERSION");

const CLI::Validator kRegistryUrl(
    [](const std::string& text) -> std::string {
      if (text.find_first_of("?#") != std::string::npos) return "'" + printable(text) + "' has a query or fragment";
      auto url = net::parse_url(text);
      return url ? std::string() : printable(url.status().message());
    },
    "URL");

// What CLI11 fills in; only one subcommand runs.
struct Arguments {
  std::string dir, id, key_type = "ec-p256", usage, client;
  Registry registry;
  Registration registration{{}, "MX", XACBE_VERSION};
};

void add_registry_options(CLI::App* command, Arguments& a) {
  command->add_option("--registry", a.registry.url, "base URL of the central registry")
      ->required()
      ->check(kRegistryUrl);
  command->add_option("--ca", a.registry.ca_file,
                      "the CEIQROO root certificate (PEM): trusted for an https:// registry; collect also checks "
                      "certificates chain to it");
}

// A usage error (exit 2) that depends on two options.
void check_usage(const Registry& registry) {
  auto url = net::parse_url(registry.url);
  if (url && url->tls && registry.ca_file.empty()) {
    throw CLI::ValidationError("--ca", "an https:// --registry needs --ca, the CEIQROO root certificate (PEM)");
  }
}

}  // namespace

void add_server_commands(CLI::App& app, Status& result) {
  static Arguments a;
  auto* server =
      app.add_subcommand("server", "set up a security server: keys, registration, certificates")->require_subcommand(1);
  const auto command = [&](const std::string& name, const std::string& help) {
    auto* c = server->add_subcommand(name, help);
    c->add_option("--dir", a.dir, "the server's setup directory")->required();
    return c;
  };

  auto* init_cmd = command("init", "generate auth.key and sign.key (mode 0600), their CSRs and server-id");
  init_cmd->add_option("--id", a.id, "the server's id")->required()->check(kServerId);
  init_cmd->add_option("--key-type", a.key_type, "rsa2048, rsa3072, rsa4096, ec-p256 or ec-p384")
      ->capture_default_str();
  init_cmd->callback([&] { result = init(ServerDirectory(a.dir), a.id, a.key_type); });

  auto* reg = command("register", "send register-server with auth.csr, signed the bootstrap way with auth.key");
  add_registry_options(reg, a);
  reg->add_option("--address", a.registration.address, "where other servers reach this one")
      ->required()
      ->check(kAddress);
  reg->add_option("--country", a.registration.country, "hosting country")->capture_default_str()->check(kCountry);
  reg->add_option("--software-version", a.registration.software_version, "the release the server runs")
      ->capture_default_str()
      ->check(kVersion);
  reg->callback([&] {
    check_usage(a.registry);
    result = register_server(ServerDirectory(a.dir), a.registry, a.registration);
  });

  auto* submit = command("submit-csr", "send submit-csr with sign.csr or auth.csr, signed with auth.key and auth.pem");
  add_registry_options(submit, a);
  submit->add_option("--usage", a.usage, "sign (the owner member's signing key) or auth")
      ->required()
      ->check(CLI::IsMember({"sign", "auth"}));
  submit->callback([&] {
    check_usage(a.registry);
    result = submit_csr(ServerDirectory(a.dir), a.registry, a.usage == "auth" ? KeyUsage::kAuth : KeyUsage::kSign);
  });

  for (const bool carry : {true, false}) {
    auto* c = command(carry ? "register-client" : "unregister-client",
                      carry ? "ask to carry a member or subsystem of another member (a shared server)"
                            : "stop carrying a client of another member");
    add_registry_options(c, a);
    c->add_option("--client", a.client, "the client's id")->required()->check(kClientId);
    c->callback([&, carry] {
      check_usage(a.registry);
      result = change_client(ServerDirectory(a.dir), a.registry, a.client, carry);
    });
  }

  auto* collect_cmd = command("collect", "fetch the certificates approved requests issued; check and install them");
  add_registry_options(collect_cmd, a);
  collect_cmd->callback([&] {
    check_usage(a.registry);
    result = collect(ServerDirectory(a.dir), a.registry);
  });

  command("status", "show the keys, CSRs, certificates and requests of the directory")->callback([&] {
    result = status(ServerDirectory(a.dir));
  });
}

}  // namespace xacbe::tools
