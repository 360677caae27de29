// xacbe register against a real security server of a real federation: the designated reader
// searches the query register, shows a record with its body written to a file and lists the access
// log; an administrator who is not designated is refused; usage errors send nothing. An exchange
// exported as an evidence container verifies with xacbe verify with the server stopped and its
// whole directory gone, and a changed byte is refused. A real server's register, archived, checks
// with xacbe verify --archive, and the server starts again on it.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "audit/archive.hpp"
#include "support/e2e/federation.hpp"
#include "support/process.hpp"
#include "support/smtp_server.hpp"
#include "support/temp_dir.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/crypto/tsa_client.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

constexpr const char* kAdminToken = "5a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
constexpr const char* kReaderToken = "6b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c";
constexpr const char* kMessageId = "cli-register-1";

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class CliRegisterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    federation_ =
        new Federation({{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}, XACBE_REGISTRY_BIN, XACBE_SECURITY_SERVER_BIN});
    Federation& f = *federation_;
    f.admit("QROO/EST/FGE", "Fiscalía General del Estado", {"SIS"});
    f.admit("QROO/EST/SSP", "Secretaría de Seguridad Pública", {"SIS"});
    net::ServerOptions options;
    options.threads = 1;
    auto is = net::HttpServer::start(options, [](const net::HttpRequest& r) {
      return net::HttpResponse::make(200, "application/json", Json{{"persona", r.target}}.dump());
    });
    if (!is.is_ok()) throw std::runtime_error(is.status().to_string());
    provider_is_ = std::move(is).value().release();
    fge_ = &f.add_server("QROO/EST/FGE/SS1");
    auto& ssp = f.add_server("QROO/EST/SSP/SS1");
    fge_->add_client("QROO/EST/FGE/SIS");
    // Timestamped at once, so that an exchange can be exported without waiting for the batch.
    fge_->config["security_server"]["clients"]["QROO/EST/FGE/SIS"]["timestamp_at_once"] = true;
    ssp.add_client("QROO/EST/SSP/SIS");
    ssp.add_service("QROO/EST/SSP/SIS/antecedentes", "http://127.0.0.1:" + std::to_string(provider_is_->port()),
                    {"QROO/EST/FGE/SIS"});
    admin_port_ = free_port();
    fge_->config["security_server"]["admin_listen"] = {{"address", "127.0.0.1"}, {"port", admin_port_}};
    fge_->config["security_server"]["users"] = {
        {"ana", {{"role", "administrator"}, {"token_sha256", crypto::to_hex(crypto::sha256(kAdminToken))}}},
        {"luis", {{"role", "auditor"}, {"token_sha256", crypto::to_hex(crypto::sha256(kReaderToken))}}}};
    fge_->config["security_server"]["register_readers"] = {{"luis", {"QROO/EST/FGE"}}};
    fge_->start();
    ssp.start();
  }
  static void TearDownTestSuite() {
    if (::testing::UnitTest::GetInstance()->failed_test_count() > 0 && fge_ != nullptr) {
      std::cerr << "---- " << fge_->id << " log ----\n" << fge_->log();
    }
    delete federation_;
    delete provider_is_;
  }

  void SetUp() override {
    std::ofstream(admin_token_) << kAdminToken << "\n";
    std::ofstream(reader_token_) << kReaderToken << "\n";
  }

  // "xacbe register --url <FGE's admin API> --token-file <token> <args>".
  CommandResult xacbe_register(const std::vector<std::string>& args, const std::string& token_file) const {
    std::vector<std::string> argv = {"env",
                                     "-u",
                                     "XACBE_TOKEN",
                                     XACBE_CLI_BIN,
                                     "register",
                                     "--url",
                                     "http://127.0.0.1:" + std::to_string(admin_port_),
                                     "--token-file",
                                     token_file};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }

  Json ok(const std::vector<std::string>& args) const {
    const CommandResult r = xacbe_register(args, reader_token_);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    Json j = Json::parse(r.output, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.output;
    return j;
  }

  // One exchange through the FGE server, which logs its client-side request and response.
  static std::string exchange(const std::string& message_id = kMessageId) {
    net::HttpRequest r;
    r.method = "GET";
    r.target = "/r1/QROO/EST/SSP/SIS/antecedentes/personas/7";
    r.headers = {{"X-Xacbe-Client", "QROO/EST/FGE/SIS"}, {"X-Xacbe-Id", message_id}};
    auto response = net::http_request(fge_->client_url() + r.target, r);
    if (!response.is_ok() || response->status != 200) throw std::runtime_error("the exchange failed");
    return response->body;
  }

  TempDir dir_;
  std::string admin_token_ = dir_.file("ana.token"), reader_token_ = dir_.file("luis.token");
  static inline Federation* federation_ = nullptr;
  static inline net::HttpServer* provider_is_ = nullptr;
  static inline SecurityServerNode* fge_ = nullptr;
  static inline unsigned admin_port_ = 0;
};

TEST_F(CliRegisterTest, DesignatedReaderSearchesShowsAndSeesTheAccessLog) {
  const std::string answered = exchange();

  const Json found = ok({"search", "--message-id", kMessageId, "--side", "client"});
  ASSERT_EQ(found["records"].size(), 2u) << found.dump();
  EXPECT_EQ(found["more"], false);
  const Json& response = found["records"][1];
  EXPECT_EQ(response["kind"], "response");
  EXPECT_EQ(response["status"], 200);
  EXPECT_FALSE(response.contains("body"));
  const std::string seq = std::to_string(response["seq"].get<std::int64_t>());

  const Json successes = ok({"search", "--result", "success", "--client", "QROO/EST/FGE/SIS", "--limit", "1000"});
  bool listed = false;
  for (const Json& r : successes["records"]) listed = listed || r["seq"] == response["seq"];
  EXPECT_TRUE(listed) << successes.dump();

  const std::string body_file = dir_.file("body.json");
  const Json shown = ok({"show", seq, "--body-out", body_file});
  EXPECT_EQ(shown["seq"], response["seq"]);
  EXPECT_EQ(shown["body_out"], body_file);
  EXPECT_FALSE(shown.contains("body"));
  EXPECT_EQ(read_all(body_file), answered);
  EXPECT_EQ(crypto::to_hex(crypto::sha256(read_all(body_file))), shown["body_sha256"]);

  const Json log = ok({"accesses", "--limit", "1000"});
  std::vector<std::string> actions;
  for (const Json& e : log["accesses"]) {
    EXPECT_EQ(e["user"], "luis");
    EXPECT_EQ(e["peer"].get<std::string>().rfind("127.0.0.1", 0), 0u) << e.dump();
    actions.push_back(e["action"].get<std::string>() + " " + e["detail"].get<std::string>());
  }
  ASSERT_GE(actions.size(), 3u);
  EXPECT_EQ(actions.back(), "register.read seq " + seq);
  EXPECT_EQ(log["accesses"].back()["seqs"], Json::array({response["seq"]}));
}

TEST_F(CliRegisterTest, AnAdministratorWhoIsNotDesignatedIsRefused) {
  const CommandResult r = xacbe_register({"search", "--message-id", kMessageId}, admin_token_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("xacbe: PERMISSION_DENIED: not designated to read the query register"), std::string::npos)
      << r.output;
  // The administrator reads the access log, where the refusal is.
  const CommandResult log = xacbe_register({"accesses", "--limit", "1000"}, admin_token_);
  ASSERT_EQ(log.exit_code, 0) << log.output;
  EXPECT_NE(log.output.find("\"denied\""), std::string::npos) << log.output;
}

TEST_F(CliRegisterTest, UsageErrorsSendNothing) {
  const struct {
    std::vector<std::string> args;
    std::string says;
  } rows[] = {
      {{"search", "--side", "sideways"}, "--side"},
      {{"search", "--client", "QROO/est"}, "--client"},
      {{"search", "--from", "yesterday"}, "--from"},
      {{"search", "--limit", "ten"}, "not a number"},
      {{"show", "x"}, "not a number"},
      {{"show"}, "seq"},
  };
  for (const auto& row : rows) {
    const CommandResult r = xacbe_register(row.args, reader_token_);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(row.says), std::string::npos) << r.output;
  }
  const CommandResult served = xacbe_register({"accesses", "--limit", "1000"}, admin_token_);
  EXPECT_EQ(served.output.find("\"detail\": \"side=sideways\""), std::string::npos) << "nothing was sent";
}

TEST_F(CliRegisterTest, ExportedExchangeVerifiesOfflineAfterTheServerStateIsDeleted) {
  const std::string message_id = "cli-register-export";
  exchange(message_id);
  // Waits (bounded) for the timestamper: both records of the exchange in a batch.
  const std::string where = "message_id = '" + message_id + "' AND seq IN (SELECT seq FROM record_stamps)";
  for (int i = 0; i < 200 && fge_->count_records(where) < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(fge_->count_records(where), 2);

  const std::string container = dir_.file("exchange.zip");
  const Json written =
      ok({"export", "--client", "QROO/EST/FGE/SIS", "--message-id", message_id, "-o", container});
  EXPECT_EQ(written["written"], container);
  // The export is in the access log with the records it served.
  const Json log = ok({"accesses", "--limit", "1000"});
  ASSERT_FALSE(log["accesses"].empty());
  EXPECT_EQ(log["accesses"].back()["action"], "register.export");
  EXPECT_EQ(log["accesses"].back()["seqs"].size(), 2u) << log.dump();
  // Not designated: refused, nothing written.
  const CommandResult refused = xacbe_register(
      {"export", "--client", "QROO/EST/FGE/SIS", "--message-id", message_id, "-o", dir_.file("no.zip")}, admin_token_);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("no.zip")));

  // Keep only what an auditor keeps: the CA certificate and the anchor. Then the server and its
  // whole state go.
  const std::string ca = dir_.file("ca.pem"), anchor = dir_.file("anchor.json");
  std::filesystem::copy_file(federation_->services().root_pem(), ca);
  std::filesystem::copy_file(fge_->file("anchor.json"), anchor);
  // (Moved away rather than removed, so that the suite's later tests find their server again.)
  fge_->stop();
  const std::string gone = fge_->dir + ".gone";
  std::filesystem::rename(fge_->dir, gone);
  ASSERT_FALSE(std::filesystem::exists(fge_->dir));

  for (const std::vector<std::string>& trust : {std::vector<std::string>{"--ca", ca}, {"--anchor", anchor}}) {
    std::vector<std::string> argv = {XACBE_CLI_BIN, "verify"};
    argv.insert(argv.end(), trust.begin(), trust.end());
    argv.push_back(container);
    const CommandResult verified = run_command(argv);
    EXPECT_EQ(verified.exit_code, 0) << verified.output;
    EXPECT_NE(verified.output.find("VALID: 2 record(s)"), std::string::npos) << verified.output;
    for (const char* check : {"chain-link", "timestamp", "merkle-proof", "eight-hour-rule", "e-stamp", "content",
                              "signer", "request-binding"}) {
      EXPECT_NE(verified.output.find(std::string("  ") + check + ": "), std::string::npos) << check;
    }
    EXPECT_EQ(verified.output.find("FAIL"), std::string::npos) << verified.output;
    std::cout << verified.output;  // the docs show this output
  }

  // One byte of a body changed inside the zip (unzip, edit, zip again with Info-ZIP): refused,
  // and the report names the record and the check.
  const std::string unpacked = dir_.file("unpacked");
  ASSERT_EQ(run_command({"unzip", "-q", container, "-d", unpacked}).exit_code, 0);
  // The response's body (the second record of the exchange).
  const std::string body_path = unpacked + "/records/" + std::to_string(log["accesses"].back()["seqs"][1].get<std::int64_t>()) + "/body";
  ASSERT_TRUE(std::filesystem::exists(body_path)) << body_path;
  std::string body = read_all(body_path);
  body[body.size() / 2] ^= 0x01;
  std::ofstream(body_path, std::ios::binary | std::ios::trunc) << body;
  const std::string repacked = dir_.file("tampered.zip");
  ASSERT_EQ(run_command({"sh", "-c", "cd '" + unpacked + "' && zip -q -X -r '" + repacked + "' mimetype META-INF records configuration certificates"})
                .exit_code,
            0);
  const CommandResult tampered = run_command({XACBE_CLI_BIN, "verify", "--ca", ca, repacked});
  EXPECT_EQ(tampered.exit_code, 1) << tampered.output;
  EXPECT_NE(tampered.output.find("chain-link: a file's SHA-256 is not the one the record's hash covers"),
            std::string::npos)
      << tampered.output;
  EXPECT_NE(tampered.output.find("content: the e-stamp's part digests are not those of the head and body"),
            std::string::npos);
  EXPECT_NE(tampered.output.find("INVALID: 3 of 22 checks failed"), std::string::npos) << tampered.output;
  // Not a container at all: nothing checked.
  EXPECT_EQ(run_command({XACBE_CLI_BIN, "verify", "--ca", ca, ca}).exit_code, 2);

  std::filesystem::rename(gone, fge_->dir);
  fge_->start();
}

// The archive chain of a real server's register, checked with the real CLI: the server's exchanges
// archived as they would be 31 days on (the archiver's clock moved, the real TSA stamping each
// file), then xacbe verify --archive accepts the directory, and names a file taken out.
TEST_F(CliRegisterTest, ArchiveDirectoryOfARealRegisterVerifiesWithTheCli) {
  for (const char* id : {"cli-archive-1", "cli-archive-2"}) exchange(id);
  const std::string where = "message_id LIKE 'cli-archive-%' AND seq IN (SELECT seq FROM record_stamps)";
  for (int i = 0; i < 200 && fge_->count_records(where) < 4; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(fge_->count_records(where), 4);
  fge_->stop();

  ManualClock later(std::chrono::system_clock::now() + std::chrono::hours(24 * 31));
  auto reg = ss::QueryRegister::open(fge_->file("register.db"), later);
  ASSERT_TRUE(reg.is_ok()) << reg.status().to_string();
  const auto root = crypto::Certificate::load(federation_->services().root_pem());
  const auto tsa_cert = crypto::Certificate::load(federation_->services().tsa_cert());
  ASSERT_TRUE(root.is_ok() && tsa_cert.is_ok());
  SystemClock now;
  crypto::TsaClient tsa(now);
  const std::string tsa_url = federation_->services().tsa_url();
  auto stamp = ss::tsa_client_function(tsa, [&]() -> Result<ss::TsaTarget> {
    return ss::TsaTarget{tsa_url, *tsa_cert, {*root}};
  });
  ss::ArchiveOptions options;
  options.directory = dir_.file("archives");
  options.max_file_bytes = 1;  // one record per file: a chain of several files
  options.server = fge_->id;
  auto archiver = ss::Archiver::create(**reg, later, stamp, ss::EvidenceTrust{*root, std::nullopt}, options);
  ASSERT_TRUE(archiver.is_ok()) << archiver.status().to_string();
  auto run = (*archiver)->run_once();
  ASSERT_TRUE(run.is_ok()) << run.status().to_string();
  ASSERT_GE(run->written.size(), 4u);
  EXPECT_EQ(run->records_deleted, run->records_archived);
  EXPECT_TRUE(run->deferred.empty());

  const std::string ca = dir_.file("ca.pem");
  std::filesystem::copy_file(federation_->services().root_pem(), ca);
  const CommandResult valid = run_command({XACBE_CLI_BIN, "verify", "--archive", options.directory, "--ca", ca});
  EXPECT_EQ(valid.exit_code, 0) << valid.output;
  EXPECT_NE(valid.output.find("VALID"), std::string::npos) << valid.output;
  EXPECT_EQ(valid.output.find("FAIL"), std::string::npos) << valid.output;
  std::cout << valid.output;

  std::filesystem::remove(options.directory + "/archive-000002.zip");
  const CommandResult missing = run_command({XACBE_CLI_BIN, "verify", "--archive", options.directory, "--ca", ca});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("FAIL  archive-000002.zip"), std::string::npos) << missing.output;

  // The server starts again on its archived register, and exchanges go on.
  archiver->reset();
  reg->reset();
  fge_->start();
  exchange("cli-archive-3");
}

}  // namespace
}  // namespace xacbe::testing
