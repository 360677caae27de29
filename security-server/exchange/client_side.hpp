#pragma once
// The client side of an exchange (ARCHITECTURE "One exchange", steps 1-3 and 5): a member's
// information system calls its own security server at /r1/{service id}/{path}; the server checks
// the caller, e-stamps the request with the client member's signing key, logs it, sends it over
// mutual TLS to a server that carries the provider, verifies the e-stamped answer, logs it and
// only then hands it back. docs/protocol/exchange.md "Client interface".

#include "exchange/context.hpp"
#include "xacbe/net/async.hpp"
#include "xacbe/net/http.hpp"

namespace xacbe::ss {

class ClientSide {
 public:
  explicit ClientSide(ExchangeContext& context) : context_(context) {}
  // `over_tls`: whether the request came in on the HTTPS listener.
  net::Task<net::HttpResponse> handle(net::HttpRequest request, bool over_tls);

 private:
  // The exchange of a REST call; `soap_service` non-null: the call came as a SOAP envelope naming
  // that service (perhaps versioned), which handle_soap (soap/soap_client_side.cpp) has checked
  // and turned into this form, and the head says so.
  net::Task<net::HttpResponse> exchange(net::HttpRequest request, bool over_tls, const id::ServiceId* soap_service);
  net::Task<net::HttpResponse> handle_soap(net::HttpRequest request, bool over_tls);

  ExchangeContext& context_;
};

}  // namespace xacbe::ss
