// Writes the seed corpora that need real structures (CSRs, certificates, CMS signatures) made by
// a throw-away PKI: a few valid inputs and a few broken ones per target. Run once when a format
// changes, and commit what it writes (public material only: no key is written):
//   build/tests/fuzz/fuzz_seed_corpus tests/fuzz/corpus
// Times are those of the fuzz targets' fixed clocks, so the seeds stay valid there.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>

#include "support/test_pki.hpp"
#include "xacbe/crypto/cms.hpp"
#include "xacbe/globalconf/signed_configuration.hpp"
#include "xacbe/management/management_request.hpp"

namespace xacbe::testing {
namespace {

using namespace std::chrono;

template <typename T>
T must(Result<T> r) {
  if (!r) throw std::runtime_error(r.status().to_string());
  return std::move(r).value();
}

void write(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) throw std::runtime_error("cannot write " + path);
  std::cout << path << " (" << bytes.size() << " bytes)\n";
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  if (at == std::string::npos) throw std::runtime_error("seed lacks '" + from + "'");
  return s.replace(at, from.size(), to);
}

void management_requests(const std::string& dir, TestPki& pki) {
  using namespace management;
  const sys_seconds created{seconds(1'800'000'000)};
  const auto server = must(id::SecurityServerId::parse("QROO/EST/FGE/SS1"));
  const auto key = must(crypto::PrivateKey::generate(crypto::KeyType::kEcP256));
  const auto csr = [&] { return must(crypto::CertificateRequest::create(key, {{"CN", "SS1"}})); };
  const auto auth = pki.issue(ca::Profile::kAuthentication, "QROO/EST/FGE/SS1");
  auto canonical = [&](Request r, const std::string& id) {
    r.request_id = id;
    return must(to_json(r));
  };
  const std::string registration =
      canonical(make_register_server(server, created, "ss1.fge.qroo.gob.mx:5500", "MX", "1.4.2", csr()), "seed-0001");
  write(dir + "/register_server.json", registration);
  write(dir + "/submit_csr.json", canonical(make_submit_csr(server, created, KeyUsage::kSign, csr()), "seed-0002"));
  write(dir + "/register_auth_certificate.json",
        canonical(make_register_auth_certificate(server, created, auth.cert), "seed-0003"));
  write(dir + "/report_version.json", canonical(make_report_version(server, created, "1.10.0"), "seed-0004"));
  write(dir + "/list_notifications.json", canonical(make_list_notifications(server, created), "seed-0005"));
  write(dir + "/acknowledge_notification.json",
        canonical(make_acknowledge_notification(server, created, 42), "seed-0006"));
  write(dir + "/ipv6_address.json", replaced(registration, "ss1.fge.qroo.gob.mx:5500", "[2001:db8::5]:5500"));
  const std::string client_registration =
      canonical(make_register_client(server, created, must(id::ClientId::parse("QROO/MUN/BJ"))), "seed-0007");
  write(dir + "/register_client.json", client_registration);
  write(dir + "/unregister_client.json",
        canonical(make_unregister_client(server, created, must(id::ClientId::parse("QROO/MUN/BJ/PADRON"))),
                  "seed-0008"));
  const year_month_day d14 = year{2027} / January / 14, d15 = year{2027} / January / 15;
  const std::string usage = canonical(
      make_report_usage(server, created,
                        UsageReport{d14, d15,
                                    {UsageRow{d14, UsageSide::kProvider, must(id::ClientId::parse("QROO/EST/SSP/SIS")),
                                              must(id::ServiceId::parse("QROO/EST/FGE/SIS/carpetas")), 5, 4, 1, 2}}}),
      "seed-0009");
  write(dir + "/report_usage.json", usage);
  // Broken ones, each by one rule.
  write(dir + "/broken_repeated_key.json", R"({"type":"list-notifications",)" + registration.substr(1));
  write(dir + "/broken_unknown_field.json", replaced(registration, R"("type":)", R"("priority":"high","type":)"));
  write(dir + "/broken_address.json", replaced(registration, "ss1.fge.qroo.gob.mx:5500", "ss1.fge:99999"));
  write(dir + "/broken_usage_counts.json", replaced(usage, R"("succeeded":4)", R"("succeeded":5)"));
  write(dir + "/broken_instance.json", replaced(registration, "QROO/EST/FGE/SS1", "QROO-TEST/EST/FGE/SS1"));
  write(dir + "/broken_utf8.json", replaced(registration, "\"MX\"", "\"M\xC3\x28\""));
  write(dir + "/broken_truncated.json", registration.substr(0, registration.size() / 2));
  write(dir + "/broken_client_instance.json", replaced(client_registration, "QROO/MUN/BJ", "QROO-TEST/MUN/BJ"));
}

void signed_configurations(const std::string& dir, TestPki& pki) {
  using namespace globalconf;
  const sys_seconds now{seconds(1'800'000'000)};
  const auto ocsp = pki.issue(ca::Profile::kOcspResponder, "CEIQROO OCSP");
  const auto tsa = pki.issue(ca::Profile::kTimestamping, "CEIQROO TSA");
  const auto signer = pki.issue(ca::Profile::kSigning, "CEIQROO configuration signing");
  ConfigurationContent content{
      .instance = "QROO",
      .version = 5,
      .created_at = now - hours(1),
      .expires_at = now + hours(24),
      .members = {{must(id::MemberId::parse("QROO/FED/PGJ")), "Fiscalia General del Estado"}},
      .subsystems = {},
      .security_servers = {{must(id::SecurityServerId::parse("QROO/FED/PGJ/SS1")),
                            "ss1.pgj.example:5500",
                            {must(id::ClientId::parse("QROO/FED/PGJ"))},
                            {std::string(64, 'a')}}},
      .ca = {pki.root(), {"http://ocsp.ceiqroo.example/"}, {ocsp.cert}},
      .tsa = {"http://tsa.ceiqroo.example/", tsa.cert},
      .global_groups = {},
      .settings = {},
  };
  const auto sign = [&](const ConfigurationContent& c) {
    return must(sign_configuration(must(GlobalConfiguration::create(c)), signer.key, signer.cert));
  };
  const std::string valid = sign(content);
  write(dir + "/valid.json", valid);
  ConfigurationContent expired = content;
  expired.created_at = now - hours(48);
  expired.expires_at = now - hours(24);
  write(dir + "/expired.json", sign(expired));
  ConfigurationContent other_instance = content;
  other_instance.instance = "QROO-TEST";
  other_instance.members[0].id = must(id::MemberId::parse("QROO-TEST/FED/PGJ"));
  other_instance.security_servers[0].id = must(id::SecurityServerId::parse("QROO-TEST/FED/PGJ/SS1"));
  other_instance.security_servers[0].clients = {must(id::ClientId::parse("QROO-TEST/FED/PGJ"))};
  write(dir + "/other_instance.json", sign(other_instance));
  ConfigurationContent old = content;
  old.version = 2;
  write(dir + "/rolled_back.json", sign(old));
  // Broken envelopes.
  const auto envelope = must(SignedConfiguration::parse(valid));
  write(dir + "/broken_content_not_json.json", SignedConfiguration{"{\"instance\": ", envelope.signature}.to_json());
  write(dir + "/broken_signature_not_cms.json", SignedConfiguration{envelope.content, "not CMS"}.to_json());
  write(dir + "/broken_base64.json", replaced(valid, "\"content\":\"", "\"content\":\"%"));
  write(dir + "/broken_repeated_key.json", replaced(valid, "{\"content\":", "{\"signature\":\"AAAA\",\"content\":"));
  write(dir + "/broken_truncated.json", valid.substr(0, valid.size() / 3));
}

void encodings(const std::string& corpus) {
  const std::string base64 = corpus + "/base64";
  write(base64 + "/no_padding.txt", "Zm9vYmFy");
  write(base64 + "/one_pad.txt", "Zm8=");
  write(base64 + "/two_pads.txt", "Zg==");
  write(base64 + "/all_alphabet.txt", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  write(base64 + "/broken_newline.txt", "Zm9v\nYmFy");
  write(base64 + "/broken_pad_bits.txt", "Zh==");
  write(base64 + "/broken_inner_pad.txt", "Zm=v");
  const std::string percent = corpus + "/percent_decoding";
  write(percent + "/server_id.txt", "QROO%2FEST%2ffge%2FSS1");
  write(percent + "/ocsp_get_path.txt", "MEMwQTA%2FMD0wOzAJBgUrDgMCGgUABBQ%3D%2B");
  write(percent + "/every_kind.txt", "a+b%20c%00%FF~");
  write(percent + "/broken_truncated.txt", "abc%4");
  write(percent + "/broken_not_hex.txt", "%zz");
  write(percent + "/broken_lone_percent.txt", "100%");
}

}  // namespace
}  // namespace xacbe::testing

int main(int argc, char** argv) {
  using namespace xacbe::testing;
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " <corpus directory>\n";
    return 2;
  }
  try {
    const std::string corpus = argv[1];
    xacbe::ManualClock clock{xacbe::TimePoint(std::chrono::seconds(1'800'000'000))};
    TestPki pki(clock);
    management_requests(corpus + "/management_request", pki);
    signed_configurations(corpus + "/signed_configuration", pki);
    encodings(corpus);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
