#include "exchange/provider_side.hpp"

#include <algorithm>

#include "exchange/message.hpp"
#include "exchange/metaservices.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/log/log.hpp"

namespace xacbe::ss {
namespace {

constexpr FaultSide kHere = FaultSide::kProviderSide;

FaultCode code_for(EStampFault f) {
  switch (f) {
    case EStampFault::kMalformed:
    case EStampFault::kBadSignature:
    case EStampFault::kUntrustedCertificate:
    case EStampFault::kOcspInvalid: return FaultCode::kInvalidEStamp;
    case EStampFault::kWrongSigner: return FaultCode::kSignerMismatch;
    case EStampFault::kCertificateNotGood: return FaultCode::kCertificateNotGood;
    case EStampFault::kOcspStale: return FaultCode::kOcspStale;
  }
  return FaultCode::kInvalidEStamp;
}

}  // namespace

net::Task<net::HttpResponse> ProviderSide::handle(net::HttpRequest request) {
  ExchangeContext& c = context_;
  // Every refusal is also an entry of the authentication/authorization record.
  // Refusals up to the access decision are authentication/authorization decisions and go to
  // that record; later failures (the provider's system, the register) are not decisions.
  std::string client_text, service_text, message_id, peer_text, party_text;
  bool decided = false;
  // Each exchange is counted once, where it ends: a refusal or the answer.
  const auto started = std::chrono::steady_clock::now();
  OperationalTrace trace(c.operational_log, c.clock, RecordSide::kProvider, c.settings.id.to_string(), request.body.size());
  auto ended = [&](std::string_view result, const net::HttpResponse& answer) {
    if (c.metrics) c.metrics->ended(RecordSide::kProvider, service_text, result, std::chrono::steady_clock::now() - started);
    trace.set_peer_server(peer_text);
    trace.finish(result, client_text, service_text, message_id, answer);
  };
  auto refuse = [&](FaultCode code, std::string message) {
    Fault f = Fault::make(kHere, code, std::move(message));
    if (!decided) {
      c.query_register.record_decision(Decision{RecordSide::kProvider, client_text, service_text, message_id, peer_text,
                                                false, std::string(fault_code_name(code)), f.message, party_text});
    }
    net::HttpResponse r = f.to_response();
    ended(fault_code_name(code), r);
    return r;
  };
  if (request.method != "POST" || request.target != kMessagePath) {
    co_return refuse(FaultCode::kMalformedMessage, "messages are POSTed to /x1/message");
  }
  // 1. The configuration in use, not expired.
  auto configuration = c.configuration.current();
  if (!configuration.is_ok()) co_return refuse(FaultCode::kNoGlobalConfiguration, configuration.status().message());
  const auto& conf = **configuration;
  // 2. The peer's TLS identity: a registered authentication certificate, OCSP good and fresh.
  if (!request.peer_certificate) co_return refuse(FaultCode::kPeerNotAuthenticated, "no client certificate");
  const globalconf::SecurityServer* peer = conf.server_with_auth_certificate(request.peer_certificate->sha256_fingerprint());
  if (peer == nullptr) co_return refuse(FaultCode::kPeerNotAuthenticated, "the client certificate is not registered for any security server");
  peer_text = peer->id.to_string();
  auto peer_ocsp = crypto::base64_decode(request.header(kAuthOcspHeader));
  if (!peer_ocsp.is_ok()) co_return refuse(FaultCode::kPeerNotAuthenticated, "X-Xacbe-Auth-Ocsp is not base64");
  FaultCode peer_code;
  Status peer_status = c.peer_status.check(*request.peer_certificate, *peer_ocsp, conf, &peer_code);
  if (!peer_status.is_ok()) co_return refuse(peer_code, peer_status.message());

  // 3. The message and its client: registered, carried by the peer's server, in the configuration.
  auto head_bytes = crypto::base64_decode(request.header(kHeadHeader));
  auto stamp = crypto::base64_decode(request.header(kEStampHeader));
  if (!head_bytes.is_ok() || !stamp.is_ok()) co_return refuse(FaultCode::kMalformedMessage, "head or e-stamp missing or not base64");
  auto head = parse_request_head(*head_bytes);
  if (!head.is_ok()) co_return refuse(FaultCode::kMalformedMessage, head.status().message());
  client_text = head->client.to_string();
  service_text = head->service.to_string();
  message_id = head->message_id;
  party_text = head->represented_party;
  trace.set_endpoint(head->method, head->path);
  trace.set_request_id(head->request_id);
  trace.set_represented_party(party_text);
  if (!conf.has_client(head->client) || conf.find_member(head->client.member()) == nullptr) {
    co_return refuse(FaultCode::kClientNotRegistered, client_text + " is not a registered client in good standing");
  }
  if (std::find(peer->clients.begin(), peer->clients.end(), head->client) == peer->clients.end()) {
    co_return refuse(FaultCode::kClientNotRegistered, client_text + " is not carried by " + peer_text);
  }

  // 4. The e-stamp: signature, chain, signer bound to the client's member, OCSP good and fresh,
  //    and every part as signed.
  const EStampTrust trust = estamp_trust(conf);
  EStampFault stamp_fault = EStampFault::kMalformed;
  auto verified = verify_estamp(*stamp, trust, c.clock, &stamp_fault);
  if (!verified.is_ok()) co_return refuse(code_for(stamp_fault), "e-stamp: " + verified.status().message());
  const auto& v = verified->content;
  if (v.kind != "request" || v.message_id != head->message_id || v.client != client_text || v.service != service_text) {
    co_return refuse(FaultCode::kDigestMismatch, "the e-stamp is for another message");
  }
  if (!signer_member_matches(verified->signer, head->client.member().to_string())) {
    co_return refuse(FaultCode::kSignerMismatch, "the e-stamp is not signed by " + head->client.member().to_string());
  }
  const std::vector<StampedPart> parts = message_parts(*head_bytes, request.body);
  const std::string& body_digest = parts[1].sha256;
  if (v.parts != parts) {
    co_return refuse(FaultCode::kDigestMismatch, "the head or body differs from the e-stamp");
  }

  // 5. Replay: signed recently, and the message id not used before by this client.
  const auto now = to_sys_seconds(c.clock.now());
  if (verified->signing_time + c.settings.replay_window < now) {  // a future one failed verify_estamp
    co_return refuse(FaultCode::kMessageTooOld, "signed outside the replay window of " +
                                                    std::to_string(c.settings.replay_window.count()) + " seconds");
  }
  if (c.query_register.contains_request(RecordSide::kProvider, client_text, message_id)) {
    co_return refuse(FaultCode::kReplayedMessage, "message id already used by " + client_text);
  }

  // 6. The service and 7. the access right. A metaservice of the provider's subsystem is decided
  //    and, at step 9, answered by this server itself (metaservices.hpp).
  const auto catalog = c.catalog();
  const std::optional<ServiceDefinition> meta = metaservice_definition(head->service);
  const ServiceDefinition* service = meta ? &*meta : catalog->find(head->service);
  if (service == nullptr) co_return refuse(FaultCode::kUnknownService, "no service " + service_text + " on this server");
  if (!service->enabled) co_return refuse(FaultCode::kServiceDisabled, service_text + " is disabled");
  if ((head->protocol == kSoapProtocol) != (service->protocol == ServiceProtocol::kSoap)) {
    co_return refuse(FaultCode::kServiceProtocolMismatch, service_text + " is a " +
                     std::string(service_protocol_name(service->protocol)) + " service; the call came as " +
                     (head->protocol == kSoapProtocol ? "SOAP" : "REST"));
  }
  FaultCode denied = FaultCode::kAccessDenied;
  const AccessDecision decision =
      meta ? decide_metaservice(*head, *catalog, c.settings.clients, conf, &denied)
           : catalog->decide(head->client, *service, head->method, head->path, conf, head->represented_party);
  if (!decision.allowed) co_return refuse(denied, decision.reason + " (" + decision.rule + ")");
  c.query_register.record_decision(Decision{RecordSide::kProvider, client_text, service_text, message_id, peer_text,
                                            true, decision.rule, decision.reason, party_text});
  decided = true;

  // 8. Log the request (durable) before the provider's system sees it.
  const id::MemberId provider_member = head->service.subsystem().member();
  const auto signer_it = c.signers.find(provider_member);
  if (signer_it == c.signers.end()) co_return refuse(FaultCode::kInternalError, "no signing key for the provider");
  auto sign_ocsp = c.own_ocsp(signer_it->second.certificate);
  if (!sign_ocsp.is_ok()) co_return refuse(FaultCode::kSigningUnavailable, "no fresh OCSP response for the signing certificate");
  auto auth_ocsp = c.own_ocsp(c.auth_certificate);
  if (!auth_ocsp.is_ok()) co_return refuse(FaultCode::kSigningUnavailable, "no fresh OCSP response for the authentication certificate");
  Status admission = c.query_register.admission();
  if (!admission.is_ok()) co_return refuse(FaultCode::kTimestampBacklog, admission.message());
  const std::string request_id = new_message_id();
  const auto window = conf.settings().estamp_window;
  // The register settings of the provider's subsystem, a client of this server.
  ClientSettings owner_settings;
  if (auto it = c.settings.clients.find(id::ClientId(head->service.subsystem())); it != c.settings.clients.end()) {
    owner_settings = it->second;
  }
  const bool log_body = owner_settings.log_body;
  RecordInput record{RecordSide::kProvider, RecordKind::kRequest, message_id, request_id, client_text, service_text,
                     head->user_id, *head_bytes, log_body ? std::optional<std::string>(request.body) : std::nullopt,
                     body_digest, *stamp, verified->ocsp.produced_at, verified->ocsp.produced_at + window,
                     owner_settings.timestamp_at_once};
  Result<RecordRef> logged = co_await log_record(c.query_register, std::move(record));
  if (!logged.is_ok()) {
    if (logged.status().code() == Code::kAlreadyExists) {
      co_return refuse(FaultCode::kReplayedMessage, "message id already used by " + client_text);
    }
    co_return refuse(FaultCode::kRegisterFailure, "the query register refused the request record");
  }

  // 9. Forward to the provider's information system.
  net::HttpRequest forward;
  forward.method = head->method;
  forward.target = head->query.empty() ? head->path : head->path + "?" + head->query;
  forward.headers = head->headers;
  forward.headers.emplace_back("X-Xacbe-Client", client_text);
  forward.headers.emplace_back("X-Xacbe-Id", message_id);
  forward.headers.emplace_back("X-Xacbe-Request-Id", request_id);
  if (!head->user_id.empty()) forward.headers.emplace_back("X-Xacbe-UserId", head->user_id);
  if (!head->issue.empty()) forward.headers.emplace_back("X-Xacbe-Issue", head->issue);
  if (!party_text.empty()) forward.headers.emplace_back("X-Xacbe-Represented-Party", party_text);
  forward.body = std::move(request.body);
  net::ClientOptions options;
  options.timeout = service->timeout;
  options.body_limit = c.settings.body_limit;
  std::string url = service->url;
  if (!url.empty() && url.back() == '/' && !forward.target.empty()) url.pop_back();
  // (Not one co_await of a conditional expression: GCC 12 destroys the chosen awaitable twice.)
  Result<net::HttpResponse> answer = internal_error("no answer");
  if (meta) answer = co_await answer_metaservice(c, *catalog, *head, conf);
  if (!meta) answer = co_await c.http->request(url + forward.target, std::move(forward), options);
  if (!answer.is_ok()) {
    co_return refuse(FaultCode::kServiceFailed, "the provider's information system did not answer: " +
                                                    log::bounded(answer.status().message(), 200));
  }
  auto response_headers = forwardable_headers(answer->headers);
  if (!response_headers.is_ok()) {
    co_return refuse(FaultCode::kServiceFailed, "the provider's answer: " + response_headers.status().message());
  }

  // 10. E-stamp the answer, binding the request's hash; log it; send it back.
  const std::string request_hash = crypto::sha256(*stamp);
  ResponseHead response_head{answer->status, std::move(response_headers).value(), message_id, request_id,
                             crypto::to_hex(request_hash)};
  const std::string response_head_bytes = to_json(response_head);
  std::vector<StampedPart> response_parts = message_parts(response_head_bytes, answer->body);
  const std::string response_body_digest = response_parts[1].sha256;
  StampContent content{"response", message_id, client_text, service_text, request_hash, std::move(response_parts)};
  BatchSigner* signer = signer_it->second.signer.get();
  Result<std::string> response_stamp = co_await sign_message(*signer, std::move(content), sign_ocsp->der);
  if (!response_stamp.is_ok()) co_return refuse(FaultCode::kSigningUnavailable, "signing the answer failed");
  RecordInput response_record{RecordSide::kProvider, RecordKind::kResponse, message_id, request_id, client_text,
                              service_text, head->user_id, response_head_bytes,
                              log_body ? std::optional<std::string>(answer->body) : std::nullopt, response_body_digest,
                              *response_stamp, sign_ocsp->produced_at, sign_ocsp->produced_at + window,
                              owner_settings.timestamp_at_once};
  Result<RecordRef> logged_response = co_await log_record(c.query_register, std::move(response_record));
  if (!logged_response.is_ok()) co_return refuse(FaultCode::kRegisterFailure, "the query register refused the response record");

  net::HttpResponse out;
  out.status = 200;
  out.headers = {{kHeadHeader, crypto::base64_encode(response_head_bytes)},
                 {kEStampHeader, crypto::base64_encode(*response_stamp)},
                 {kAuthOcspHeader, crypto::base64_encode(auth_ocsp->der)},
                 {"Content-Type", "application/octet-stream"}};
  out.body = std::move(answer->body);
  ended("ok", out);
  co_return out;
}

}  // namespace xacbe::ss
