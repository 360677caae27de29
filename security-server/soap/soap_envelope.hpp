#pragma once
// The SOAP 1.1 envelope an information system sends to its security server's client interface
// (docs/protocol/soap.md): read with libxml2 hardened against hostile XML, only to find the
// identity header fields; the envelope's bytes are left as they came (what is e-stamped, logged
// and forwarded is what was received).
//
// Hardening (docs/protocol/soap.md "Parsing"): a size limit before anything else; valid UTF-8
// without NUL, declared (if at all) as UTF-8; a linear scan of the markup that refuses any
// DOCTYPE or other declaration and bounds depth and attributes per element before libxml2 sees
// the input (libxml2 2.9 compares attributes pairwise); then libxml2 without network access,
// entity substitution, DTD loading or its "huge" mode, with SAX guards that stop it at a
// document type, past the depth or attribute limit or at an oversize text node; and no tree is
// built below soapenv:Body, so memory stays proportional to the header.

#include <cstddef>
#include <string>
#include <string_view>

#include "xacbe/id/identifiers.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ss::soap {

inline constexpr std::string_view kEnvelopeNamespace = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr std::string_view kSoap12Namespace = "http://www.w3.org/2003/05/soap-envelope";
inline constexpr std::string_view kNamespace = "urn:xacbe:soap:1";
inline constexpr std::string_view kProtocolVersion = "1.0";

struct Limits {
  std::size_t max_bytes = 10 * 1024 * 1024;      // the client interface passes its body limit
  std::size_t max_depth = 64;                    // element nesting, Envelope = 1
  std::size_t max_attributes = 64;               // attributes and namespace declarations per element
  std::size_t max_text_bytes = 4 * 1024 * 1024;  // one text node (a run of character data)
  // The markup pass before libxml2; off only where a test shows libxml2's guards alone.
  bool scan_markup = true;
};

// The header fields (soap.md "Header"); user_id and issue empty when absent.
struct SoapHeader {
  id::ClientId client;
  id::ServiceId service;  // with a version when the call names one
  std::string message_id;
  std::string user_id;
  std::string issue;
  std::string protocol_version;
  std::string represented_party = {};  // representedParty: a member id; empty when absent
};

// kInvalidArgument with a bounded message (never quoting more than a short excerpt of the input)
// for anything that is not a well-formed SOAP 1.1 envelope within `limits` carrying exactly one
// of each required header field (client, service, id, protocolVersion "1.0") and at most one of
// userId, issue and representedParty, each by the client interface's rules.
Result<SoapHeader> parse_envelope(std::string_view bytes, const Limits& limits = {});

}  // namespace xacbe::ss::soap
