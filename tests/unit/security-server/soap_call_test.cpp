// The HTTP form of a SOAP call and the REST-form request it becomes (soap/soap_call.hpp).

#include "soap/soap_call.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace xacbe::ss::soap {
namespace {

const std::string kEnvelope =
    "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:x=\"urn:xacbe:soap:1\">"
    "<soapenv:Header><x:client>QROO/EST/FGE/SIS</x:client><x:service>QROO/EST/SSP/SIS/antecedentes</x:service>"
    "<x:id>m-1</x:id><x:userId>fiscal-17</x:userId><x:protocolVersion>1.0</x:protocolVersion></soapenv:Header>"
    "<soapenv:Body><a/></soapenv:Body></soapenv:Envelope>";

net::HttpRequest soap_request() {
  net::HttpRequest r;
  r.method = "POST";
  r.target = "/soap";
  r.headers = {{"Content-Type", "text/xml; charset=utf-8"},
               {"SOAPAction", "\"urn:consulta\""},
               {"X-Xacbe-Client", "QROO/EST/OTHER/SIS"},
               {"x-xacbe-issue", "forged"}};
  r.body = kEnvelope;
  r.peer_address = "127.0.0.1:5000";
  return r;
}

TEST(SoapCall, RecognisesTheSoapPath) {
  EXPECT_TRUE(is_soap_target("/soap"));
  EXPECT_TRUE(is_soap_target("/soap?wsdl"));
  EXPECT_FALSE(is_soap_target("/soapy"));
  EXPECT_FALSE(is_soap_target("/r1/QROO/EST/SSP/SIS/soap"));
}

TEST(SoapCall, BecomesARestFormCallWithTheEnvelopesIdentityOnly) {
  auto made = soap_call(soap_request(), Limits{});
  ASSERT_TRUE(made.is_ok()) << made.status().to_string();
  EXPECT_EQ(made->service.to_string(), "QROO/EST/SSP/SIS/antecedentes");
  const net::HttpRequest* call = &made->request;
  EXPECT_EQ(call->method, "POST");
  EXPECT_EQ(call->target, "/r1/QROO/EST/SSP/SIS/antecedentes");
  EXPECT_EQ(call->body, kEnvelope);  // the bytes as received
  EXPECT_EQ(call->peer_address, "127.0.0.1:5000");
  EXPECT_EQ(call->header("X-Xacbe-Client"), "QROO/EST/FGE/SIS");
  EXPECT_EQ(call->header("X-Xacbe-Id"), "m-1");
  EXPECT_EQ(call->header("X-Xacbe-UserId"), "fiscal-17");
  EXPECT_EQ(call->header("X-Xacbe-Issue"), "") << "the caller's own X-Xacbe-* headers are dropped";
  EXPECT_EQ(call->header("SOAPAction"), "\"urn:consulta\"");
  int clients = 0;
  for (const auto& [name, value] : call->headers) clients += name == "X-Xacbe-Client" ? 1 : 0;
  EXPECT_EQ(clients, 1);
}

TEST(SoapCall, AVersionTravelsBesideTheFivePartTarget) {
  net::HttpRequest r = soap_request();
  const std::string from = "antecedentes</x:service>";
  r.body.replace(r.body.find(from), from.size(), "antecedentes/v2</x:service>");
  auto made = soap_call(std::move(r), Limits{});
  ASSERT_TRUE(made.is_ok()) << made.status().to_string();
  EXPECT_EQ(made->request.target, "/r1/QROO/EST/SSP/SIS/antecedentes");
  EXPECT_EQ(made->service.to_string(), "QROO/EST/SSP/SIS/antecedentes/v2");
}

TEST(SoapCall, RefusesAnotherHttpForm) {
  struct Row {
    std::string name;
    net::HttpRequest request;
  };
  std::vector<Row> rows;
  auto with = [&](std::string name, auto change) {
    net::HttpRequest r = soap_request();
    change(r);
    rows.push_back({std::move(name), std::move(r)});
  };
  with("GET", [](auto& r) { r.method = "GET"; });
  with("a query", [](auto& r) { r.target = "/soap?wsdl"; });
  with("no Content-Type", [](auto& r) { r.headers.erase(r.headers.begin()); });
  with("SOAP 1.2 media type", [](auto& r) { r.headers[0].second = "application/soap+xml; charset=utf-8"; });
  with("JSON", [](auto& r) { r.headers[0].second = "application/json"; });
  with("Latin-1", [](auto& r) { r.headers[0].second = "text/xml; charset=ISO-8859-1"; });
  with("two Content-Types", [](auto& r) { r.headers.emplace_back("content-type", "text/xml"); });
  with("no SOAPAction", [](auto& r) { r.headers.erase(r.headers.begin() + 1); });
  with("two SOAPActions", [](auto& r) { r.headers.emplace_back("soapaction", "\"x\""); });
  with("a bad envelope", [](auto& r) { r.body = "<a/>"; });
  for (auto& row : rows) {
    auto call = soap_call(std::move(row.request), Limits{});
    EXPECT_FALSE(call.is_ok()) << row.name;
  }
  net::HttpRequest quoted = soap_request();
  quoted.headers[0].second = "Text/XML; Charset=\"UTF-8\"";
  EXPECT_TRUE(soap_call(std::move(quoted), Limits{}).is_ok());
}

}  // namespace
}  // namespace xacbe::ss::soap
