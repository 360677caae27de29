// SOAP 1.1 end to end (docs/protocol/soap.md): python3-zeep, a SOAP client nobody here wrote, is
// the FGE information system; it reads a WSDL that declares Xacbe's header elements and calls a
// mock SOAP provider (a small Python HTTP server) through FGE's and SSP's security servers. The
// answer reaches zeep, both query registers hold the request and the response, the provider's
// own SOAP Fault passes through, and the security servers' refusals reach zeep as SOAP Faults
// with the documented codes.

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/e2e/federation.hpp"
#include "support/process.hpp"
#include "support/smtp_server.hpp"
#include "support/temp_dir.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/net/http_client.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

const std::string kClient = "QROO/EST/FGE/SIS";
const std::string kConsultas = "QROO/EST/SSP/SIS/consultas";    // SOAP, granted to FGE/SIS
const std::string kReservado = "QROO/EST/SSP/SIS/reservado";    // SOAP, granted to nobody from FGE
const std::string kRest = "QROO/EST/SSP/SIS/rest";              // REST
const std::string kCaido = "QROO/EST/SSP/SIS/caido";            // SOAP, its system does not listen
const std::string kConsultasV2 = "QROO/EST/SSP/SIS/consultas/v2";  // SOAP, a version of its own

// The provider's service described for its clients; the header part is the fragment of
// docs/protocol/soap.md.
const char* kWsdl = R"xml(<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:x="urn:xacbe:soap:1" xmlns:a="urn:example:antecedentes"
    targetNamespace="urn:example:antecedentes">
  <wsdl:types>
    <xs:schema targetNamespace="urn:xacbe:soap:1" elementFormDefault="qualified">
      <xs:element name="client" type="xs:string"/>
      <xs:element name="service" type="xs:string"/>
      <xs:element name="id" type="xs:string"/>
      <xs:element name="userId" type="xs:string"/>
      <xs:element name="issue" type="xs:string"/>
      <xs:element name="protocolVersion" type="xs:string"/>
    </xs:schema>
    <xs:schema targetNamespace="urn:example:antecedentes" elementFormDefault="qualified">
      <xs:element name="consulta"><xs:complexType><xs:sequence><xs:element name="curp" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
      <xs:element name="consultaResponse"><xs:complexType><xs:sequence><xs:element name="resultado" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="consulta">
    <wsdl:part name="body" element="a:consulta"/>
    <wsdl:part name="client" element="x:client"/>
    <wsdl:part name="service" element="x:service"/>
    <wsdl:part name="id" element="x:id"/>
    <wsdl:part name="userId" element="x:userId"/>
    <wsdl:part name="protocolVersion" element="x:protocolVersion"/>
  </wsdl:message>
  <wsdl:message name="consultaResponse"><wsdl:part name="body" element="a:consultaResponse"/></wsdl:message>
  <wsdl:portType name="Antecedentes">
    <wsdl:operation name="consulta"><wsdl:input message="a:consulta"/><wsdl:output message="a:consultaResponse"/></wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="AntecedentesBinding" type="a:Antecedentes">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="consulta">
      <soap:operation soapAction="urn:example:antecedentes#consulta"/>
      <wsdl:input>
        <soap:body use="literal" parts="body"/>
        <soap:header message="a:consulta" part="client" use="literal"/>
        <soap:header message="a:consulta" part="service" use="literal"/>
        <soap:header message="a:consulta" part="id" use="literal"/>
        <soap:header message="a:consulta" part="userId" use="literal"/>
        <soap:header message="a:consulta" part="protocolVersion" use="literal"/>
      </wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="AntecedentesService">
    <wsdl:port name="AntecedentesPort" binding="a:AntecedentesBinding"><soap:address location="http://127.0.0.1:1/"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
)xml";

// The provider's information system: answers consulta, or a SOAP Fault for curp FAULT; writes
// one JSON line per request it received.
const char* kProvider = R"py(import json, re, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
log_path = sys.argv[1]
ENV = 'http://schemas.xmlsoap.org/soap/envelope/'
class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
        with open(log_path, 'a') as log:
            log.write(json.dumps({'path': self.path, 'soapaction': self.headers.get('SOAPAction', ''),
                                  'content_type': self.headers.get('Content-Type', ''),
                                  'client': self.headers.get('X-Xacbe-Client', ''),
                                  'body': body.decode('utf-8')}) + '\n')
        curp = re.search(rb'<[^>]*curp>([^<]*)<', body)
        curp = curp.group(1).decode() if curp else ''
        if curp == 'FAULT':
            status, answer = 500, ('<soapenv:Fault><faultcode>soapenv:Server</faultcode>'
                                   '<faultstring>no such person</faultstring></soapenv:Fault>')
        else:
            status, answer = 200, ('<a:consultaResponse xmlns:a="urn:example:antecedentes">'
                                   '<a:resultado>sin antecedentes: ' + curp + '</a:resultado></a:consultaResponse>')
        out = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="' + ENV + '"><soapenv:Body>'
               + answer + '</soapenv:Body></soapenv:Envelope>').encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'text/xml; charset=utf-8')
        self.send_header('Content-Length', str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
print('mock SOAP provider listening on http://127.0.0.1:%d' % server.server_address[1], flush=True)
server.serve_forever()
)py";

// The FGE information system: zeep with the WSDL, its address overridden to FGE's security
// server; prints the answer or the fault as JSON.
const char* kZeepClient = R"py(import json, sys
import zeep, zeep.exceptions
wsdl, address, client_id, service_id, message_id, curp = sys.argv[1:7]
client = zeep.Client(wsdl)
proxy = client.create_service('{urn:example:antecedentes}AntecedentesBinding', address)
headers = {'client': client_id, 'service': service_id, 'id': message_id, 'userId': 'fiscal-17', 'protocolVersion': '1.0'}
try:
    result = proxy.consulta(curp=curp, _soapheaders=headers)
    print(json.dumps({'result': result}))
except zeep.exceptions.Fault as f:
    detail = {}
    if f.detail is not None:
        for e in f.detail.iter():
            if e.tag.startswith('{urn:xacbe:soap:1}'):
                detail[e.tag.split('}')[1]] = e.text
    print(json.dumps({'fault': {'code': f.code, 'message': f.message, 'detail': detail}}))
)py";

FederationExecutables executables() {
  return {{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}, XACBE_REGISTRY_BIN, XACBE_SECURITY_SERVER_BIN};
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class SoapExchangeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    python_ = python_with("zeep");
    if (python_.empty()) return;
    dir_ = new TempDir();
    write_file(dir_->file("service.wsdl"), kWsdl);
    write_file(dir_->file("provider.py"), kProvider);
    write_file(dir_->file("client.py"), kZeepClient);
    provider_ = new ChildProcess({python_, dir_->file("provider.py"), dir_->file("provider.jsonl")}, dir_->file("provider.log"));
    const auto port = provider_->wait_for_port();
    if (!port) throw std::runtime_error("the mock SOAP provider did not start: " + provider_->log());
    const std::string url = "http://127.0.0.1:" + std::to_string(*port) + "/";

    federation_ = new Federation(executables());
    Federation& f = *federation_;
    f.admit("QROO/EST/FGE", "Fiscalía General del Estado", {"SIS"});
    f.admit("QROO/EST/SSP", "Secretaría de Seguridad Pública", {"SIS"});
    fge_ = &f.add_server("QROO/EST/FGE/SS1");
    ssp_ = &f.add_server("QROO/EST/SSP/SS1");
    fge_->add_client(kClient);
    ssp_->add_client("QROO/EST/SSP/SIS");
    ssp_->add_service(kConsultas, url, {kClient});
    ssp_->config["security_server"]["services"][kConsultas]["protocol"] = "soap";
    ssp_->add_service(kReservado, url, {"QROO/EST/SSP/SIS"});
    ssp_->config["security_server"]["services"][kReservado]["protocol"] = "soap";
    ssp_->add_service(kRest, url, {kClient});
    ssp_->add_service(kConsultasV2, url + "v2", {kClient});
    ssp_->add_service(kCaido, "http://127.0.0.1:" + std::to_string(free_port()) + "/", {kClient});
    ssp_->config["security_server"]["services"][kCaido]["protocol"] = "soap";
    ssp_->config["security_server"]["services"][kCaido]["timeout_ms"] = 2000;
    ssp_->config["security_server"]["services"][kConsultasV2]["protocol"] = "soap";
    fge_->start();
    ssp_->start();
  }
  static void TearDownTestSuite() {
    if (::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
      for (auto* node : {fge_, ssp_}) {
        if (node != nullptr) std::cerr << "---- " << node->id << " log ----\n" << node->log();
      }
    }
    delete federation_;
    delete provider_;
    delete dir_;
  }
  void SetUp() override {
    if (python_.empty()) GTEST_FAIL() << "no python3 with zeep (Debian package python3-zeep; scripts/setup)";
  }

  // zeep's call of `service` with message id `id`; the JSON the client script printed.
  static Json zeep_call(const std::string& service, const std::string& id, const std::string& curp,
                        const std::string& client = kClient) {
    const CommandResult r = run_command({python_, dir_->file("client.py"), dir_->file("service.wsdl"),
                                         fge_->client_url() + "/soap", client, service, id, curp},
                                        {}, std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    Json j = Json::parse(r.output, nullptr, false);
    if (!j.is_object()) ADD_FAILURE() << "zeep printed: " << r.output;
    return j;
  }

  // The requests the provider's system received, one JSON object each.
  static std::vector<Json> provider_requests() {
    std::vector<Json> out;
    std::istringstream lines(read_file(dir_->file("provider.jsonl")));
    for (std::string line; std::getline(lines, line);) out.push_back(Json::parse(line));
    return out;
  }

  static net::HttpResponse post(const std::string& target, const std::string& body, net::Headers headers) {
    net::HttpRequest r;
    r.method = "POST";
    r.target = target;
    r.headers = std::move(headers);
    r.body = body;
    auto response = net::http_request(fge_->client_url() + target, r);
    if (!response.is_ok()) throw std::runtime_error(response.status().to_string());
    return std::move(response).value();
  }

  static inline std::string python_;
  static inline TempDir* dir_ = nullptr;
  static inline ChildProcess* provider_ = nullptr;
  static inline Federation* federation_ = nullptr;
  static inline SecurityServerNode *fge_ = nullptr, *ssp_ = nullptr;
};

TEST_F(SoapExchangeTest, ZeepsCallCrossesBothServersAndIsLoggedOnBothSides) {
  const int before = static_cast<int>(provider_requests().size());
  const Json answer = zeep_call(kConsultas, "soap-ok-1", "ABC");
  ASSERT_TRUE(answer.contains("result")) << answer.dump();
  EXPECT_EQ(answer["result"], "sin antecedentes: ABC");

  const std::vector<Json> received = provider_requests();
  ASSERT_EQ(static_cast<int>(received.size()), before + 1);
  const Json& r = received.back();
  EXPECT_EQ(r["path"], "/");
  EXPECT_EQ(r["soapaction"], "\"urn:example:antecedentes#consulta\"");
  EXPECT_EQ(r["content_type"], "text/xml; charset=utf-8");
  EXPECT_EQ(r["client"], kClient);
  const std::string where = "message_id = 'soap-ok-1'";
  // Request and response on each side; the body logged is the envelope the provider received.
  EXPECT_EQ(fge_->count_records("side = 'client' AND " + where), 2);
  EXPECT_EQ(ssp_->count_records("side = 'provider' AND " + where), 2);
  EXPECT_EQ(fge_->record_column("CAST(body AS TEXT)", "kind = 'request' AND " + where), r["body"].get<std::string>());
  EXPECT_NE(ssp_->record_column("CAST(head AS TEXT)", "kind = 'request' AND " + where).find("\"protocol\":\"soap\""),
            std::string::npos);
}

TEST_F(SoapExchangeTest, AVersionedServiceIsReachedByItsVersion) {
  const Json answer = zeep_call(kConsultasV2, "soap-v2-1", "XYZ");
  ASSERT_TRUE(answer.contains("result")) << answer.dump();
  EXPECT_EQ(answer["result"], "sin antecedentes: XYZ");
  EXPECT_EQ(provider_requests().back()["path"], "/v2");
  EXPECT_EQ(ssp_->record_column("service", "kind = 'request' AND message_id = 'soap-v2-1'"), kConsultasV2);
  const Json unknown = zeep_call(kConsultas + "/v3", "soap-v3-1", "XYZ");
  ASSERT_TRUE(unknown.contains("fault")) << unknown.dump();
  EXPECT_EQ(unknown["fault"]["code"], "soapenv:Client.UNKNOWN_SERVICE");
}

TEST_F(SoapExchangeTest, TheProvidersSoapFaultPassesThroughAsItsAnswer) {
  const Json answer = zeep_call(kConsultas, "soap-fault-1", "FAULT");
  ASSERT_TRUE(answer.contains("fault")) << answer.dump();
  EXPECT_EQ(answer["fault"]["code"], "soapenv:Server");
  EXPECT_EQ(answer["fault"]["message"], "no such person");
  EXPECT_EQ(fge_->count_records("message_id = 'soap-fault-1'"), 2) << "a SOAP Fault is an answer, logged as one";
}

TEST_F(SoapExchangeTest, AnAccessRefusalReachesZeepAsASoapFault) {
  const int before = static_cast<int>(provider_requests().size());
  const Json answer = zeep_call(kReservado, "soap-denied-1", "ABC");
  ASSERT_TRUE(answer.contains("fault")) << answer.dump();
  EXPECT_EQ(answer["fault"]["code"], "soapenv:Client.ACCESS_DENIED");
  EXPECT_EQ(answer["fault"]["detail"].value("side", ""), "provider-side");
  EXPECT_EQ(answer["fault"]["detail"].value("code", ""), "ACCESS_DENIED");
  EXPECT_EQ(answer["fault"]["detail"].value("faultId", "").size(), 32u);
  EXPECT_EQ(static_cast<int>(provider_requests().size()), before) << "a refused call reached the provider";
}

TEST_F(SoapExchangeTest, RefusalsOfEitherServerAreClientOrServerFaultsByTheirCode) {
  struct Row {
    std::string name, service, client, faultcode, side;
  };
  const std::vector<Row> rows = {
      {"a client this server does not have", kConsultas, "QROO/EST/FGE/OTRO", "soapenv:Client.UNKNOWN_CLIENT",
       "client-request"},
      {"a provider no server carries", "QROO/EST/XYZ/SIS/consultas", kClient, "soapenv:Client.UNKNOWN_PROVIDER",
       "client-side"},
      {"a service the provider does not offer", "QROO/EST/SSP/SIS/nada", kClient, "soapenv:Client.UNKNOWN_SERVICE",
       "provider-side"},
      {"a provider system that does not answer", kCaido, kClient, "soapenv:Server.SERVICE_FAILED", "provider-side"},
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    const Json answer = zeep_call(row.service, "soap-refused-" + std::to_string(i), "ABC", row.client);
    ASSERT_TRUE(answer.contains("fault")) << row.name << ": " << answer.dump();
    EXPECT_EQ(answer["fault"]["code"], row.faultcode) << row.name;
    EXPECT_EQ(answer["fault"]["detail"].value("side", ""), row.side) << row.name;
  }
}

TEST_F(SoapExchangeTest, ASoapCallToARestServiceAndARestCallToASoapServiceAreRefused) {
  const Json answer = zeep_call(kRest, "soap-mismatch-1", "ABC");
  ASSERT_TRUE(answer.contains("fault")) << answer.dump();
  EXPECT_EQ(answer["fault"]["code"], "soapenv:Client.SERVICE_PROTOCOL_MISMATCH");

  const net::HttpResponse rest = post("/r1/" + kConsultas, "{}", {{"X-Xacbe-Client", kClient}, {"Content-Type", "application/json"}});
  EXPECT_EQ(rest.status, 400);
  EXPECT_EQ(rest.header("X-Xacbe-Error"), "provider-side.SERVICE_PROTOCOL_MISMATCH") << rest.body;

  // Metaservices are REST calls: an envelope naming one is refused the same way.
  const Json meta = zeep_call("QROO/EST/SSP/SIS/listMethods", "soap-mismatch-2", "ABC");
  ASSERT_TRUE(meta.contains("fault")) << meta.dump();
  EXPECT_EQ(meta["fault"]["code"], "soapenv:Client.SERVICE_PROTOCOL_MISMATCH");
}

TEST_F(SoapExchangeTest, HostileEnvelopesAreSoapFaultsAndNeverLeaveTheServer) {
  const int fge_before = fge_->count_records();
  const std::string header =
      "<soapenv:Header><x:client>QROO/EST/FGE/SIS</x:client><x:service>" + kConsultas +
      "</x:service><x:id>hostile-1</x:id><x:protocolVersion>1.0</x:protocolVersion></soapenv:Header>";
  const std::string open =
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:x=\"urn:xacbe:soap:1\">";
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "<d>";
  const std::vector<std::string> bodies = {
      "<!DOCTYPE e [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>" + open + header +
          "<soapenv:Body>&b;</soapenv:Body></soapenv:Envelope>",
      "<!DOCTYPE e [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" + open + header + "<soapenv:Body>&x;</soapenv:Body></soapenv:Envelope>",
      open + header + "<soapenv:Body>" + deep,
  };
  for (const auto& body : bodies) {
    const net::HttpResponse r = post("/soap", body, {{"Content-Type", "text/xml; charset=utf-8"}, {"SOAPAction", "\"\""}});
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.header("Content-Type"), "text/xml; charset=utf-8");
    EXPECT_NE(r.body.find("<faultcode>soapenv:Client.MALFORMED_REQUEST</faultcode>"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << "a file's content in the answer";
  }
  // Not SOAP 1.1 at all: a SOAP 1.2 media type.
  const net::HttpResponse soap12 = post("/soap", open + header + "<soapenv:Body/></soapenv:Envelope>",
                                        {{"Content-Type", "application/soap+xml"}});
  EXPECT_NE(soap12.body.find("Client.MALFORMED_REQUEST"), std::string::npos) << soap12.body;
  EXPECT_EQ(fge_->count_records(), fge_before);
}

}  // namespace
}  // namespace xacbe::testing
