#pragma once
// The SOAP form of the client interface (docs/protocol/soap.md "Client interface"): POST
// /soap, Content-Type text/xml, a SOAPAction header, a SOAP 1.1 envelope whose header names the
// client, the service and the message. ClientSide::handle sends such calls here; what is
// checked here is the HTTP form and the envelope, everything else is the REST exchange's.

#include <string_view>

#include "soap/soap_envelope.hpp"
#include "xacbe/net/http.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ss::soap {

inline constexpr std::string_view kSoapPath = "/soap";

// Whether `target` is the SOAP path (with or without a query, which soap_call then refuses).
bool is_soap_target(std::string_view target);

struct SoapCall {
  net::HttpRequest request;
  id::ServiceId service;  // as the envelope names it, version included
};

// The call as the REST exchange takes it: POST /r1/{service, unversioned} with the identity headers
// X-Xacbe-Client, -Id, -UserId, -Issue taken from the envelope's header (any X-Xacbe-* header
// the caller sent is dropped), the caller's other headers, and the envelope bytes unchanged.
// kInvalidArgument (a MALFORMED_REQUEST) for another method, a query, a media type other than
// text/xml (or a charset other than UTF-8), a missing or repeated SOAPAction, or an envelope that
// parse_envelope refuses under `limits`. The service, version included, beside it.
Result<SoapCall> soap_call(net::HttpRequest request, const Limits& limits);

}  // namespace xacbe::ss::soap
