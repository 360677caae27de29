// xacbe: the administration command line. Subcommands:
//   key generate   a private key (RSA 2048+ or ECDSA P-256/P-384)
//   csr create     a PKCS#10 request for a key
//   ca init        create the CEIQROO root CA in a directory
//   ca issue       issue a certificate of a profile (auth, sign, ocsp, tsa, service) from a CSR
//   ca revoke      revoke (or hold) a certificate; ca release lifts a hold
//   ca status      show one certificate's status; ca list shows them all
//   token generate a bearer token for the registry admin API, and the hash its configuration holds
//   registry ...   the central registry's admin API: members, applications, notifications, incidents, audit
//   register ...   a security server's query register: search, show a record, the access log
//   server ...     a security server's setup: keys and CSRs, registration, certificate requests, clients,
//                  collecting and installing issued certificates, status
//   globalconf ... a global configuration verified against an anchor, from a file or downloaded
//   verify         an exported exchange (evidence container) checked offline
// Exit codes: 0 success, 1 refused or failed (message on stderr), 2 usage error; globalconf
// separates a refusal (1) from a check it could not make (2), see globalconf_commands.hpp.

#include <CLI/CLI.hpp>
#include <iostream>

#include "ca_commands.hpp"
#include "globalconf_commands.hpp"
#include "register_commands.hpp"
#include "registry_commands.hpp"
#include "server_commands.hpp"
#include "verify_commands.hpp"
#include "xacbe/crypto/csr.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/file.hpp"

using namespace xacbe;

namespace {

int report(const Status& st) {
  if (st.is_ok()) return 0;
  std::cerr << "xacbe: " << st.to_string() << "\n";
  return 1;
}

Status key_generate(const std::string& type_name, const std::string& out) {
  XACBE_ASSIGN_OR_RETURN(crypto::KeyType type, crypto::parse_key_type(type_name));
  XACBE_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::generate(type));
  return key.save(out);
}

Status csr_create(const std::string& key_path, const std::string& subject, const std::string& out) {
  XACBE_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::load(key_path));
  XACBE_ASSIGN_OR_RETURN(crypto::DistinguishedName dn, tools::parse_subject(subject));
  XACBE_ASSIGN_OR_RETURN(crypto::CertificateRequest csr, crypto::CertificateRequest::create(key, dn));
  return write_file_atomic(out, csr.pem());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Xacbe administration tool"};
  app.require_subcommand(1);
  Status result;

  auto* key = app.add_subcommand("key", "private keys")->require_subcommand(1);
  auto* key_gen = key->add_subcommand("generate", "generate a private key (PEM, mode 0600)");
  std::string key_type = "ec-p256", key_out;
  key_gen->add_option("--type", key_type, "rsa2048, rsa3072, rsa4096, ec-p256 or ec-p384")->capture_default_str();
  key_gen->add_option("--out", key_out, "output file")->required();
  key_gen->callback([&] { result = key_generate(key_type, key_out); });

  auto* csr = app.add_subcommand("csr", "certificate signing requests")->require_subcommand(1);
  auto* csr_new = csr->add_subcommand("create", "create a CSR for a key");
  std::string csr_key, csr_subject, csr_out;
  csr_new->add_option("--key", csr_key, "private key file")->required();
  csr_new->add_option("--subject", csr_subject, "subject, e.g. C=MX,O=PGJ,CN=SS1")->required();
  csr_new->add_option("--out", csr_out, "output file (PEM)")->required();
  csr_new->callback([&] { result = csr_create(csr_key, csr_subject, csr_out); });

  auto* token = app.add_subcommand("token", "API bearer tokens")->require_subcommand(1);
  token->add_subcommand("generate", "print a new random token and the SHA-256 the registry configuration holds")
      ->callback([&] {
        const std::string secret = crypto::to_hex(crypto::random_bytes(32));
        std::cout << "token " << secret << "\ntoken_sha256 " << crypto::to_hex(crypto::sha256(secret)) << "\n";
      });

  tools::add_ca_commands(app, result);
  tools::add_server_commands(app, result);
  // The registry and globalconf commands print their own outcome and choose their exit code.
  int printed_exit = 0;
  tools::add_registry_commands(app, printed_exit);
  tools::add_globalconf_commands(app, printed_exit);
  tools::add_register_commands(app, printed_exit);
  tools::add_verify_commands(app, printed_exit);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is a ParseError with exit code 0; every other one is a usage error.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return printed_exit != 0 ? printed_exit : report(result);
}
