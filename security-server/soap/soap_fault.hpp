#pragma once
// The faults of the exchange as a SOAP caller sees them (docs/protocol/soap.md "Faults"): the
// same side, code, message and id as the JSON fault of the REST interface, in a SOAP 1.1 Fault.

#include <string>
#include <string_view>

#include "exchange/fault.hpp"
#include "xacbe/net/http.hpp"

namespace xacbe::ss::soap {

// "Client.<CODE>" when the code's HTTP status is 4xx (the call itself cannot succeed as sent),
// "Server.<CODE>" otherwise, without the envelope prefix.
std::string fault_code_local(const Fault& fault);

// HTTP 500, "text/xml; charset=utf-8", X-Xacbe-Error "<side>.<CODE>", and the envelope
// soapenv:Fault{faultcode soapenv:<fault_code_local>, faultstring message,
// detail/x:fault{x:side, x:code, x:faultId}} with x = urn:xacbe:soap:1.
net::HttpResponse to_soap_response(const Fault& fault);

// `text` as XML character data: valid UTF-8 (bad bytes replaced), characters XML 1.0 does not
// allow replaced by U+FFFD, and &, <, >, " escaped.
std::string xml_text(std::string_view text);

}  // namespace xacbe::ss::soap
