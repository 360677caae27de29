#pragma once
// The provider side of an exchange (ARCHITECTURE "One exchange", step 4): another security server
// sends an e-stamped request over mutual TLS; this server checks, in the documented order, the
// configuration, the peer, the client, the e-stamp and its OCSP response, replay, the service and
// the access right, logs the request, and only then forwards it to the provider's information
// system; it e-stamps and logs the answer, binding the request's hash, and sends it back.
// docs/protocol/exchange.md "Provider side".

#include "exchange/context.hpp"
#include "xacbe/net/async.hpp"
#include "xacbe/net/http.hpp"

namespace xacbe::ss {

class ProviderSide {
 public:
  explicit ProviderSide(ExchangeContext& context) : context_(context) {}
  net::Task<net::HttpResponse> handle(net::HttpRequest request);

 private:
  ExchangeContext& context_;
};

}  // namespace xacbe::ss
