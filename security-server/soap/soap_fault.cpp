#include "soap/soap_fault.hpp"

#include "soap/soap_envelope.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::ss::soap {

std::string xml_text(std::string_view text) {
  const std::string valid = valid_utf8(text);
  std::string out;
  out.reserve(valid.size());
  for (std::size_t i = 0; i < valid.size(); ++i) {
    const auto b = static_cast<unsigned char>(valid[i]);
    switch (b) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // XML 1.0 Char: tab, LF, CR and U+0020 upward (valid_utf8 left no surrogates); U+FFFE
        // and U+FFFF (EF BF BE/BF) are not characters either.
        if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') ||
            (b == 0xEF && i + 2 < valid.size() && static_cast<unsigned char>(valid[i + 1]) == 0xBF &&
             (static_cast<unsigned char>(valid[i + 2]) & 0xFE) == 0xBE)) {
          out += "\xEF\xBF\xBD";
          if (b == 0xEF) i += 2;
        } else {
          out += valid[i];
        }
    }
  }
  return out;
}

std::string fault_code_local(const Fault& fault) {
  const int status = fault_http_status(fault.code);
  std::string out = status >= 400 && status < 500 ? "Client." : "Server.";
  out += fault_code_name(fault.code);
  return out;
}

net::HttpResponse to_soap_response(const Fault& fault) {
  std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                     "\n"
                     R"(<soapenv:Envelope xmlns:soapenv=")";
  body += kEnvelopeNamespace;
  body += R"("><soapenv:Body><soapenv:Fault><faultcode>soapenv:)";
  body += fault_code_local(fault);
  body += "</faultcode><faultstring>";
  body += xml_text(fault.message);
  body += R"(</faultstring><detail><x:fault xmlns:x=")";
  body += kNamespace;
  body += R"("><x:side>)";
  body += fault_side_name(fault.side);
  body += "</x:side><x:code>";
  body += fault_code_name(fault.code);
  body += "</x:code><x:faultId>";
  body += xml_text(fault.id);
  body += "</x:faultId></x:fault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>\n";
  net::HttpResponse r = net::HttpResponse::make(500, "text/xml; charset=utf-8", std::move(body));
  std::string error(fault_side_name(fault.side));
  error += '.';
  error += fault_code_name(fault.code);
  r.headers.emplace_back("X-Xacbe-Error", std::move(error));
  return r;
}

}  // namespace xacbe::ss::soap
