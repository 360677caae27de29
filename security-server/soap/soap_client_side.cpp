// ClientSide's SOAP door (docs/protocol/soap.md "Client interface"): the envelope is checked
// and its header becomes the REST exchange's identity; every fault of that exchange, the
// provider side's relayed refusals included, reaches the SOAP caller as a SOAP 1.1 Fault.

#include <chrono>

#include "exchange/client_side.hpp"
#include "soap/soap_call.hpp"
#include "soap/soap_fault.hpp"

namespace xacbe::ss {

net::Task<net::HttpResponse> ClientSide::handle_soap(net::HttpRequest request, bool over_tls) {
  ExchangeContext& c = context_;
  const auto started = std::chrono::steady_clock::now();
  auto refuse = [&](FaultCode code, std::string message) {
    if (c.metrics)
      c.metrics->ended(RecordSide::kClient, "", fault_code_name(code), std::chrono::steady_clock::now() - started);
    return soap::to_soap_response(Fault::make(FaultSide::kClientRequest, code, std::move(message)));
  };
  if (request.body.size() > c.settings.body_limit) {
    co_return refuse(FaultCode::kBodyTooLarge, "body larger than " + std::to_string(c.settings.body_limit) + " bytes");
  }
  soap::Limits limits;
  limits.max_bytes = c.settings.body_limit;
  auto call = soap::soap_call(std::move(request), limits);
  if (!call.is_ok()) co_return refuse(FaultCode::kMalformedRequest, call.status().message());

  soap::SoapCall soap_call = std::move(call).value();
  net::HttpResponse answer = co_await exchange(std::move(soap_call.request), over_tls, &soap_call.service);
  if (answer.header("X-Xacbe-Error").empty()) co_return answer;  // the provider's envelope, as it came
  const std::optional<Fault> fault = Fault::from_response(answer);
  if (!fault) co_return answer;
  net::HttpResponse out = soap::to_soap_response(*fault);
  for (const char* name : {"X-Xacbe-Id", "X-Xacbe-Request-Id"}) {
    if (std::string value = answer.header(name); !value.empty()) out.headers.emplace_back(name, std::move(value));
  }
  co_return out;
}

}  // namespace xacbe::ss
