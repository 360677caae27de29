#include "mail/smtp.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"
#include "support/smtp_server.hpp"
#include "support/temp_dir.hpp"

namespace xacbe::mail {
namespace {

using namespace std::chrono_literals;
using xacbe::testing::ChildProcess;
using xacbe::testing::run_command;
using xacbe::testing::TempDir;
using xacbe::testing::SmtpServer;
using xacbe::testing::Listener;
using xacbe::testing::free_port;
using xacbe::testing::python;

// A self-signed certificate for 127.0.0.1 (CN and subjectAltName), made with the openssl tool.
struct ServerCert {
  std::string cert;
  std::string key;
};

ServerCert make_cert(const TempDir& dir, const std::string& name) {
  ServerCert c{dir.file(name + "-cert.pem"), dir.file(name + "-key.pem")};
  const auto r = run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                              "-nodes", "-keyout", c.key, "-out", c.cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                              "-addext", "subjectAltName=IP:127.0.0.1"});
  if (r.exit_code != 0) throw std::runtime_error("openssl req failed: " + r.output);
  return c;
}

// ---- tests --------------------------------------------------------------------------------------

class SmtpTest : public ::testing::Test {
 protected:
  SmtpSettings settings_for(unsigned port, const std::string& scheme = "smtp") const {
    SmtpSettings s;
    s.url = scheme + "://127.0.0.1:" + std::to_string(port);
    s.from = "notificaciones@ceiqroo.example";
    s.from_name = "CEIQROO Notificación";
    s.connect_timeout = 5s;
    s.total_timeout = 20s;
    return s;
  }

  static Message spanish_message() {
    Message m;
    m.to = {"enlace@municipio.example", "admin@estado.example"};
    m.subject = "Notificación: mantenimiento programado — acción requerida, año 2025";
    m.body = "Estimado enlace:\n\nEl mantenimiento comenzará el miércoles.\nSeñal: ñandú, pingüino, €.\n";
    m.message_id = "20250213.notice-1@ceiqroo.example";
    return m;
  }

  TempDir dir_;
  unsigned port_ = free_port();
};

TEST_F(SmtpTest, DeliversUtf8MessageIntactToEveryRecipient) {
  SmtpServer server(dir_, port_);
  const Message m = spanish_message();
  const Status st = send(settings_for(port_), m);
  ASSERT_TRUE(st) << st.to_string();

  const auto mails = server.mails();
  ASSERT_EQ(mails.size(), 1u);
  const auto& mail = mails[0];
  EXPECT_EQ(mail["rcpt_to"], "enlace@municipio.example, admin@estado.example");
  EXPECT_EQ(mail["to"], "enlace@municipio.example, admin@estado.example");
  EXPECT_EQ(mail["from"], "CEIQROO Notificación <notificaciones@ceiqroo.example>");
  EXPECT_EQ(mail["subject"], m.subject);
  EXPECT_EQ(mail["body"], m.body);
  EXPECT_EQ(mail["message_id"], "<" + m.message_id + ">");
  EXPECT_EQ(mail["type"], "text/plain");
  EXPECT_EQ(mail["charset"], "utf-8");
  EXPECT_TRUE(mail["seven_bit"]) << "encoded-words and quoted-printable keep the wire 7-bit";
}

TEST_F(SmtpTest, LongLinesEqualsSignsAndLeadingDotsSurvive) {
  SmtpServer server(dir_, port_);
  Message m = spanish_message();
  m.to = {"enlace@municipio.example"};
  m.subject = std::string(40, 'x') + " " + std::string(30, 'y') + " Revisión ñ " + std::string(120, 'z');
  m.body = "a=b " + std::string(300, 'c') + "  \n.\n..dos puntos\n.solo\nsin salto final con espacio ";
  ASSERT_TRUE(send(settings_for(port_), m));
  const auto mails = server.mails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0]["subject"], m.subject);
  // Python's decoder ends the text with the line break the transfer needs.
  EXPECT_EQ(mails[0]["body"], m.body + "\n");
}

TEST_F(SmtpTest, SendWithoutMessageIdMakesOneOnTheFromDomain) {
  SmtpServer server(dir_, port_);
  Message m = spanish_message();
  m.message_id.clear();
  ASSERT_TRUE(send(settings_for(port_), m));
  const auto mails = server.mails();
  ASSERT_EQ(mails.size(), 1u);
  const std::string id = mails[0]["message_id"];
  EXPECT_EQ(id.size(), 2 + 32 + 1 + std::string("ceiqroo.example").size()) << id;
  EXPECT_EQ(id.substr(id.size() - 17), "@ceiqroo.example>");
}

TEST(SmtpRender, WritesCrlfShortLinesAndTheHeadersTheProtocolNeeds) {
  SmtpSettings s;
  s.url = "smtp://127.0.0.1:25";
  s.from = "notificaciones@ceiqroo.example";
  Message m;
  m.to = {"uno@a.example", "dos@b.example", "tres@c.example", "cuatro@d.example", "cinco@e.example"};
  m.subject = "Notificación de cambio extraordinario del protocolo con una línea de asunto muy larga";
  m.body = std::string(200, 'a') + "\ná\r\nfin";
  m.message_id = "x1@ceiqroo.example";
  m.date = TimePoint(std::chrono::seconds(1739440800));  // 2025-02-13T10:00:00Z
  auto text = render(s, m);
  ASSERT_TRUE(text) << text.status().to_string();
  const std::string& t = *text;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '\n') {
      ASSERT_TRUE(i > 0 && t[i - 1] == '\r') << "bare LF at " << i;
    }
    if (t[i] == '\r') {
      ASSERT_TRUE(i + 1 < t.size() && t[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  const std::size_t split = t.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  std::istringstream header(t.substr(0, split)), body(t.substr(split + 4));
  for (std::string line; std::getline(header, line);) EXPECT_LE(line.size(), 78u + 1) << line;  // + the CR
  for (std::string line; std::getline(body, line);) EXPECT_LE(line.size(), 76u + 1) << line;
  for (const char* h :
       {"Date: Thu, 13 Feb 2025 10:00:00 +0000\r\n", "From: notificaciones@ceiqroo.example\r\n", "Subject: =?UTF-8?B?",
        "Message-ID: <x1@ceiqroo.example>\r\n", "MIME-Version: 1.0\r\n", "Content-Type: text/plain; charset=UTF-8\r\n",
        "Content-Transfer-Encoding: quoted-printable\r\n", "Auto-Submitted: auto-generated\r\n"}) {
    EXPECT_NE(t.find(h), std::string::npos) << h;
  }
  EXPECT_NE(t.find("\r\n=C3=A1\r\nfin\r\n"), std::string::npos) << "UTF-8 body octets are quoted-printable";
  EXPECT_EQ(t.find_first_of(std::string("\x80\xff", 2)), std::string::npos);
}

TEST_F(SmtpTest, RefusesInjectionAndMalformedInputBeforeConnecting) {
  SmtpServer server(dir_, port_);
  struct Row {
    const char* name;
    std::function<void(SmtpSettings&, Message&)> change;
  };
  const std::vector<Row> rows = {
      {"CRLF in subject adds a header", [](auto&, auto& m) { m.subject = "Aviso\r\nBcc: intruso@x.example"; }},
      {"LF in subject", [](auto&, auto& m) { m.subject = "Aviso\nBcc: intruso@x.example"; }},
      {"CR in subject", [](auto&, auto& m) { m.subject = "Aviso\rX"; }},
      {"NUL in subject", [](auto&, auto& m) { m.subject = std::string("Aviso\0X", 7); }},
      {"CRLF in recipient adds a header", [](auto&, auto& m) { m.to = {"a@x.example\r\nBcc: intruso@x.example"}; }},
      {"SMTP command in recipient", [](auto&, auto& m) { m.to = {"a@x.example>\r\nRCPT TO:<intruso@x.example"}; }},
      {"display name in recipient", [](auto&, auto& m) { m.to = {"Ana <ana@x.example>"}; }},
      {"recipient list in one string", [](auto&, auto& m) { m.to = {"a@x.example, b@x.example"}; }},
      {"no @", [](auto&, auto& m) { m.to = {"enlace.municipio.example"}; }},
      {"empty local part", [](auto&, auto& m) { m.to = {"@municipio.example"}; }},
      {"double dot", [](auto&, auto& m) { m.to = {"enlace..uno@municipio.example"}; }},
      {"domain label starts with -", [](auto&, auto& m) { m.to = {"enlace@-municipio.example"}; }},
      {"empty domain", [](auto&, auto& m) { m.to = {"enlace@"}; }},
      {"non-ASCII address", [](auto&, auto& m) { m.to = {"año@municipio.example"}; }},
      {"local part over 64", [](auto&, auto& m) { m.to = {std::string(65, 'a') + "@x.example"}; }},
      {"no recipient", [](auto&, auto& m) { m.to.clear(); }},
      {"one good and one bad recipient",
       [](auto&, auto& m) {
         m.to = {"a@x.example", "b@"};
       }},
      {"subject not UTF-8", [](auto&, auto& m) { m.subject = "Notificaci\xf3n"; }},
      {"body not UTF-8",
       [](auto&, auto& m) {
         m.body =
             "se\xf1"
             "al";
       }},
      {"overlong UTF-8 in body", [](auto&, auto& m) { m.body = "\xc0\xaf"; }},
      {"Message-ID with angle brackets", [](auto&, auto& m) { m.message_id = "<a@b.example>"; }},
      {"Message-ID with CRLF", [](auto&, auto& m) { m.message_id = "a@b.example\r\nBcc: c@d.example"; }},
      {"Message-ID without @", [](auto&, auto& m) { m.message_id = "abc"; }},
      {"From with CRLF", [](auto& s, auto&) { s.from = "n@ceiqroo.example\r\nBcc: intruso@x.example"; }},
      {"From display name with LF", [](auto& s, auto&) { s.from_name = "CEIQROO\nBcc: intruso@x.example"; }},
      {"not an SMTP URL", [](auto& s, auto&) { s.url = "http://127.0.0.1:25"; }},
      {"credentials in the URL", [](auto& s, auto&) { s.url = "smtp://user:secret@127.0.0.1:25"; }},
      {"password in clear to a remote host",
       [](auto& s, auto&) {
         s.url = "smtp://relay.example:25";
         s.username = "user";
         s.password = "secret";
       }},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    SmtpSettings s = settings_for(port_);
    Message m = spanish_message();
    row.change(s, m);
    EXPECT_EQ(send(s, m).code(), Code::kInvalidArgument);
  }
  EXPECT_TRUE(server.mails().empty()) << "nothing reached the server";
}

TEST_F(SmtpTest, ServerDownIsUnavailable) {
  const Status st = send(settings_for(port_), spanish_message());
  EXPECT_EQ(st.code(), Code::kUnavailable) << st.to_string();
}

TEST_F(SmtpTest, PermanentRecipientRefusalIsPermissionDeniedAndTemporaryIsUnavailable) {
  SmtpServer server(dir_, port_, true);
  Message m = spanish_message();

  m.to = {"nobody@municipio.example"};
  Status st = send(settings_for(port_), m);
  EXPECT_EQ(st.code(), Code::kPermissionDenied) << st.to_string();
  EXPECT_NE(st.message().find("550"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("nobody@municipio.example"), std::string::npos) << st.message();

  m.to = {"busy@municipio.example"};
  st = send(settings_for(port_), m);
  EXPECT_EQ(st.code(), Code::kUnavailable) << st.to_string();
  EXPECT_NE(st.message().find("451"), std::string::npos) << st.message();

  // All or nothing: one refused recipient stops the message for the others too.
  m.to = {"enlace@municipio.example", "nobody@municipio.example"};
  EXPECT_EQ(send(settings_for(port_), m).code(), Code::kPermissionDenied);
  EXPECT_TRUE(server.mails().empty());

  m.to = {"enlace@municipio.example"};
  ASSERT_TRUE(send(settings_for(port_), m));
  EXPECT_EQ(server.mails().size(), 1u);
}

TEST_F(SmtpTest, RequiredStartTlsDeliversOverVerifiedTls) {
  const ServerCert cert = make_cert(dir_, "server");
  SmtpServer server(dir_, port_, false, {"--tlscert", cert.cert, "--tlskey", cert.key});
  SmtpSettings s = settings_for(port_);
  s.require_starttls = true;
  s.ca_file = cert.cert;
  const Status st = send(s, spanish_message());
  ASSERT_TRUE(st) << st.to_string();
  const auto mails = server.mails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0]["subject"], spanish_message().subject);
}

TEST_F(SmtpTest, SmtpsDeliversOverVerifiedTls) {
  const ServerCert cert = make_cert(dir_, "server");
  SmtpServer server(dir_, port_, false, {"--smtpscert", cert.cert, "--smtpskey", cert.key});
  SmtpSettings s = settings_for(port_, "smtps");
  s.ca_file = cert.cert;
  const Status st = send(s, spanish_message());
  ASSERT_TRUE(st) << st.to_string();
  EXPECT_EQ(server.mails().size(), 1u);
}

TEST_F(SmtpTest, RequiredStartTlsNotOfferedIsFailedPrecondition) {
  SmtpServer server(dir_, port_);
  SmtpSettings s = settings_for(port_);
  s.require_starttls = true;
  const Status st = send(s, spanish_message());
  EXPECT_EQ(st.code(), Code::kFailedPrecondition) << st.to_string();
  EXPECT_TRUE(server.mails().empty());
}

TEST_F(SmtpTest, UntrustedServerCertificateIsFailedPrecondition) {
  const ServerCert cert = make_cert(dir_, "server");
  const ServerCert other = make_cert(dir_, "other");
  SmtpServer server(dir_, port_, false, {"--tlscert", cert.cert, "--tlskey", cert.key});
  SmtpSettings s = settings_for(port_);
  s.require_starttls = true;
  s.ca_file = other.cert;
  const Status st = send(s, spanish_message());
  EXPECT_EQ(st.code(), Code::kFailedPrecondition) << st.to_string();
  EXPECT_TRUE(server.mails().empty());
}

TEST(SmtpTimeouts, SilentServerHitsTheTotalTimeout) {
  Listener silent;  // accepts connections in the kernel, never greets
  SmtpSettings s;
  s.url = "smtp://127.0.0.1:" + std::to_string(silent.port());
  s.from = "n@ceiqroo.example";
  s.total_timeout = 300ms;
  Message m;
  m.to = {"a@x.example"};
  const Status st = send(s, m);
  EXPECT_EQ(st.code(), Code::kDeadlineExceeded) << st.to_string();
}

TEST(SmtpTimeouts, StopRequestCancelsASessionInProgress) {
  Listener silent;
  SmtpSettings s;
  s.url = "smtp://127.0.0.1:" + std::to_string(silent.port());
  s.from = "n@ceiqroo.example";
  s.total_timeout = 60s;
  Message m;
  m.to = {"a@x.example"};
  std::stop_source stop;
  std::jthread canceller([&] {
    std::this_thread::sleep_for(200ms);
    stop.request_stop();
  });
  const auto start = std::chrono::steady_clock::now();
  const Status st = send(s, m, stop.get_token());
  EXPECT_EQ(st.code(), Code::kUnavailable) << st.to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace xacbe::mail
