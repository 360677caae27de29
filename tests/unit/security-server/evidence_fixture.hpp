#pragma once
// Real e-stamped, timestamped records in process for the evidence and archive tests: a test CA, a
// real query register under a ManualClock, real RFC 3161 tokens over Merkle batches from a made-up
// TSA, good OCSP answers, and real signed global configurations.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "audit/evidence_container.hpp"
#include "audit/evidence_layout.hpp"
#include "estamp/estamp.hpp"
#include "exchange/context.hpp"
#include "register/timestamper.hpp"
#include "support/ocsp_answers.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "support/tsa_answers.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/crypto/ocsp_client.hpp"
#include "xacbe/crypto/tsa_client.hpp"

namespace xacbe::ss::evidence_testing {

using namespace std::chrono_literals;
using testing::KeyAndCert;
using testing::TestPki;
using Json = nlohmann::json;

inline const std::string kClient = "QROO/EST/FGE/SIS";
inline const std::string kService = "QROO/MUN/BJ/POLICIA/antecedentes";

template <typename T>
T must(Result<T> r) {
  if (!r.is_ok()) throw std::runtime_error(r.status().to_string());
  return std::move(r).value();
}

inline std::unique_ptr<SoftwareSigner> signer_of(const KeyAndCert& kc) {
  return must(SoftwareSigner::create(must(crypto::PrivateKey::from_pem(kc.key.to_pem())), kc.cert));
}

inline const EvidenceCheck* find_check(const EvidenceReport& report, const std::string& subject, const std::string& check) {
  for (const auto& c : report.checks) {
    if (c.subject == subject && c.check == check) return &c;
  }
  return nullptr;
}

class EvidenceFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    reg_ = must(QueryRegister::open(dir_.file("register.db"), clock_));
    stamper_ = std::make_unique<Timestamper>(*reg_, clock_, [this](std::string_view root) { return stamp(root); });
    signed_configuration_ = configuration(1);
    ASSERT_TRUE(reg_->keep_configuration(signed_configuration_));
  }

  std::chrono::sys_seconds now() const { return to_sys_seconds(clock_.now()); }

  std::string configuration(std::uint64_t version) {
    auto conf = must(globalconf::GlobalConfiguration::create(globalconf::ConfigurationContent{
        .instance = "QROO",
        .version = version,
        .created_at = now(),
        .expires_at = now() + configuration_validity_,
        .members = {{must(id::MemberId::parse("QROO/EST/FGE")), "Fiscalía General del Estado"},
                    {must(id::MemberId::parse("QROO/MUN/BJ")), "Policía Municipal de Benito Juárez"}},
        .subsystems = {{must(id::SubsystemId::parse("QROO/EST/FGE/SIS"))},
                       {must(id::SubsystemId::parse("QROO/MUN/BJ/POLICIA"))}},
        .security_servers = {},
        .ca = {pki_.root(), {"http://ocsp.ceiqroo.example/"}, {responder_.cert}},
        .tsa = {"http://tsa.ceiqroo.example/", tsa_.cert},
        .global_groups = {},
        .settings = {},
    }));
    return must(globalconf::sign_configuration(conf, conf_signer_.key, conf_signer_.cert));
  }

  Result<crypto::TimestampToken> stamp(std::string_view root) {
    auto request = crypto::TimestampRequest::create(crypto::ImprintHash::kSha256, root);
    if (!request) return request.status();
    testing::TsaAnswer answer;
    answer.gen_time = now();
    answer.serial = ++serial_;
    const std::string der = testing::make_timestamp_response(request->der(), tsa_.cert, tsa_.key, {pki_.root()}, answer);
    return crypto::verify_timestamp_response(der, *request, tsa_.cert, {pki_.root()}, {}, clock_);
  }

  // A good OCSP response for `cert` produced at `produced`.
  std::string ocsp_for(const crypto::Certificate& cert, std::chrono::sys_seconds produced) {
    auto request = must(crypto::OcspRequest::create(cert, pki_.root(), {.nonce_octets = 0}));
    testing::OcspAnswer answer;
    answer.produced_at = produced;
    answer.this_update = produced;
    answer.next_update = produced + 24h;
    return testing::make_ocsp_response(request.der(), responder_.cert, responder_.key, answer);
  }

  // Appends an e-stamped record as the exchange would; its OCSP response produced `ocsp_age` ago.
  RecordRef append(RecordSide side, RecordKind kind, const std::string& message_id, const std::string& request_id,
                   const KeyAndCert& member, const std::string& request_estamp_hash, std::string* estamp_out,
                   std::chrono::seconds ocsp_age = 60s) {
    const std::string head = R"({"message_id":")" + message_id + R"(","kind":")" + kind_name(kind) + "\"}";
    const std::string body = kind == RecordKind::kRequest ? R"({"curp":"GOMA800101HQRXXX01"})" : R"({"antecedentes":[]})";
    const auto produced = now() - ocsp_age;
    const std::string ocsp = ocsp_for(member.cert, produced);
    StampContent content{kind_name(kind), message_id, kClient, kService, request_estamp_hash, message_parts(head, body)};
    const std::string estamp = must(sign_estamp(content, *signer_of(member), ocsp, now()));
    if (estamp_out) *estamp_out = estamp;
    RecordInput in;
    in.side = side;
    in.kind = kind;
    in.message_id = message_id;
    in.request_id = request_id;
    in.client = kClient;
    in.service = kService;
    in.user_id = "EE12345";
    in.head = head;
    in.body = body;
    in.body_sha256 = crypto::sha256(body);
    in.estamp = estamp;
    in.ocsp_produced_at = produced;
    in.deadline = produced + globalconf::kEightHours;
    return must(reg_->append_blocking(std::move(in)));
  }

  // Request and response of one exchange on the client side.
  void exchange(const std::string& message_id, std::chrono::seconds ocsp_age = 60s) {
    std::string request_estamp;
    append(RecordSide::kClient, RecordKind::kRequest, message_id, "req-" + message_id, fge_, {}, &request_estamp,
           ocsp_age);
    append(RecordSide::kClient, RecordKind::kResponse, message_id, "req-" + message_id, bj_,
           crypto::sha256(request_estamp), nullptr, ocsp_age);
  }

  std::string export_zip(const std::string& message_id) {
    auto out = export_exchange(*reg_, {kClient, message_id, "QROO/EST/FGE/SS1", "auditora", {}}, clock_.now());
    EXPECT_TRUE(out.is_ok()) << out.status().to_string();
    return out.is_ok() ? out->zip : std::string();
  }

  EvidenceReport verify(const std::string& zip, bool with_anchor = false) {
    EvidenceTrust trust{pki_.root(), std::nullopt};
    if (with_anchor) {
      trust.anchor = must(globalconf::ConfigurationAnchor::create("QROO", "https://registro.ceiqroo.example/globalconf",
                                                                  pki_.root(), {conf_signer_.cert}));
    }
    auto report = verify_container(zip, trust);
    EXPECT_TRUE(report.is_ok()) << report.status().to_string();
    return report.is_ok() ? *report : EvidenceReport{};
  }

  // The container with `change` applied to entry `name`, the manifest's digests made to match (as
  // a forger would).
  std::string tampered(const std::string& zip, const std::string& name, const std::function<void(std::string&)>& change) {
    auto entries = must(read_zip(zip));
    bool found = false;
    for (auto& e : entries) {
      if (e.name == name) {
        change(e.bytes);
        found = true;
      }
    }
    EXPECT_TRUE(found) << name;
    for (auto& e : entries) {
      if (e.name != evidence::kManifestFile) continue;
      Json m = Json::parse(e.bytes);
      for (auto& f : m["files"]) {
        const ZipEntry* listed = find_entry(entries, f["name"].get<std::string>());
        if (listed) f["sha256"] = crypto::to_hex(crypto::sha256(listed->bytes));
      }
      e.bytes = m.dump(2);
    }
    return must(write_zip(entries, now()));
  }

  ManualClock clock_{TimePoint(std::chrono::seconds(1'800'000'000))};
  TestPki pki_{clock_};
  KeyAndCert responder_ = pki_.issue(ca::Profile::kOcspResponder, "CEIQROO OCSP");
  KeyAndCert tsa_ = pki_.issue(ca::Profile::kTimestamping, "CEIQROO TSA");
  KeyAndCert conf_signer_ = pki_.issue(ca::Profile::kSigning, "CEIQROO configuration signing");
  KeyAndCert fge_ = pki_.issue(ca::Profile::kSigning, "QROO/EST/FGE");
  KeyAndCert bj_ = pki_.issue(ca::Profile::kSigning, "QROO/MUN/BJ");
  xacbe::testing::TempDir dir_;
  std::unique_ptr<QueryRegister> reg_;
  std::unique_ptr<Timestamper> stamper_;
  std::string signed_configuration_;
  int serial_ = 0;
  std::chrono::seconds configuration_validity_ = 24h;  // of the configurations configuration() signs
};

}  // namespace xacbe::ss::evidence_testing
