#include "soap/soap_fault.hpp"

#include <gtest/gtest.h>

#include <string>

namespace xacbe::ss::soap {
namespace {

TEST(SoapFault, CarriesSideCodeMessageAndIdInASoap11Fault) {
  const Fault f{FaultSide::kProviderSide, FaultCode::kAccessDenied, "no access right <for> \"you\" & me", "ab12"};
  const net::HttpResponse r = to_soap_response(f);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.header("Content-Type"), "text/xml; charset=utf-8");
  EXPECT_EQ(r.header("X-Xacbe-Error"), "provider-side.ACCESS_DENIED");
  EXPECT_NE(r.body.find("xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\""), std::string::npos);
  EXPECT_NE(r.body.find("<faultcode>soapenv:Client.ACCESS_DENIED</faultcode>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<faultstring>no access right &lt;for&gt; &quot;you&quot; &amp; me</faultstring>"),
            std::string::npos);
  EXPECT_NE(r.body.find("<x:side>provider-side</x:side><x:code>ACCESS_DENIED</x:code><x:faultId>ab12</x:faultId>"),
            std::string::npos);
}

TEST(SoapFault, ServerFaultsForCodesThatAreNotTheCallersDoing) {
  EXPECT_EQ(fault_code_local(Fault{FaultSide::kClientSide, FaultCode::kProviderUnreachable, "", ""}),
            "Server.PROVIDER_UNREACHABLE");
  EXPECT_EQ(fault_code_local(Fault{FaultSide::kClientRequest, FaultCode::kMalformedRequest, "", ""}),
            "Client.MALFORMED_REQUEST");
  EXPECT_EQ(fault_code_local(Fault{FaultSide::kClientSide, FaultCode::kInternalError, "", ""}),
            "Server.INTERNAL_ERROR");
}

TEST(SoapFault, TextIsMadeValidXmlCharacterData) {
  EXPECT_EQ(xml_text("a\x01"
                     "b\tc"),
            "a\xEF\xBF\xBD"
            "b\tc");
  EXPECT_EQ(xml_text("\xC3("), "\xEF\xBF\xBD(");
  EXPECT_EQ(xml_text("x\xEF\xBF\xBEy"), "x\xEF\xBF\xBDy");
  EXPECT_EQ(xml_text("ñ"), "ñ");
}

}  // namespace
}  // namespace xacbe::ss::soap
