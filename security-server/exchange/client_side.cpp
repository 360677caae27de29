#include "exchange/client_side.hpp"

#include <algorithm>

#include "exchange/message.hpp"
#include "soap/soap_call.hpp"
#include "exchange/metaservices.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/log/log.hpp"

namespace xacbe::ss {
namespace {

constexpr FaultSide kRequest = FaultSide::kClientRequest;
constexpr FaultSide kHere = FaultSide::kClientSide;

net::HttpResponse fault_response(FaultSide side, FaultCode code, std::string message) {
  return Fault::make(side, code, std::move(message)).to_response();
}

// The single value of an identity header; a repeated one is refused (no pollution).
Result<std::string> single_header(const net::HttpRequest& r, std::string_view name) {
  if (count_headers(r.headers, name) > 1) return invalid_argument(std::string(name) + " given more than once");
  return r.header(name);
}

// The caller meets its client's connection mode.
bool authenticated(const ClientSettings& client, const net::HttpRequest& r, bool over_tls) {
  switch (client.connection) {
    case ConnectionMode::kHttp: return true;
    case ConnectionMode::kHttps: return over_tls;
    case ConnectionMode::kHttpsCertificate:
      return over_tls && r.peer_certificate &&
             std::find(client.certificates.begin(), client.certificates.end(),
                       r.peer_certificate->sha256_fingerprint()) != client.certificates.end();
  }
  return false;
}

std::string join_target(const RequestHead& head) {
  return head.query.empty() ? head.path : head.path + "?" + head.query;
}

// Whether a failed call may have delivered the request: only errors before or while sending
// (resolving, connecting, the handshake, the peer's certificate, a request cut short) leave it
// undelivered, so that trying another server cannot make the provider process it twice.
bool may_have_arrived(const Status& st) {
  return st.message().rfind("read response", 0) == 0;
}

}  // namespace

net::Task<net::HttpResponse> ClientSide::handle(net::HttpRequest request, bool over_tls) {
  if (soap::is_soap_target(request.target)) co_return co_await handle_soap(std::move(request), over_tls);
  co_return co_await exchange(std::move(request), over_tls, nullptr);
}

net::Task<net::HttpResponse> ClientSide::exchange(net::HttpRequest request, bool over_tls,
                                                  const id::ServiceId* soap_service) {
  const bool soap = soap_service != nullptr;
  ExchangeContext& c = context_;
  // Once known, a fault names the message and the exchange; a refusal of the caller is an
  // authentication decision and goes to that record.
  std::string known_message_id, known_request_id, client_for_record, service_for_record, party_for_record;
  // Each exchange is counted once, where it ends: a fault, a relayed refusal or the answer.
  const auto started = std::chrono::steady_clock::now();
  OperationalTrace trace(c.operational_log, c.clock, RecordSide::kClient, c.settings.id.to_string(), request.body.size());
  auto ended = [&](std::string_view result, const net::HttpResponse& answer) {
    if (c.metrics) c.metrics->ended(RecordSide::kClient, service_for_record, result, std::chrono::steady_clock::now() - started);
    trace.finish(result, client_for_record, service_for_record, known_message_id, answer);
  };
  auto fault = [&](FaultSide side, FaultCode code, std::string message) {
    net::HttpResponse r = fault_response(side, code, std::move(message));
    if (!known_message_id.empty()) r.headers.emplace_back("X-Xacbe-Id", known_message_id);
    if (!known_request_id.empty()) r.headers.emplace_back("X-Xacbe-Request-Id", known_request_id);
    if (code == FaultCode::kUnknownClient || code == FaultCode::kClientNotAuthenticated) {
      c.query_register.record_decision(Decision{RecordSide::kClient, client_for_record, service_for_record,
                                                known_message_id, log::bounded(request.peer_address, 64), false,
                                                std::string(fault_code_name(code)), "refused at the client interface",
                                                party_for_record});
    }
    ended(fault_code_name(code), r);
    return r;
  };
  // ---- The caller and its request ----
  if (!is_rest_method(request.method)) {
    co_return fault(kRequest, FaultCode::kMalformedRequest, "method not allowed: " + log::bounded(request.method, 16));
  }
  auto target = parse_rest_target(request.target);
  // GET /r1/{instance}/listClients: answered here, once the caller is checked (metaservices.hpp).
  const std::optional<std::string> list_clients_of =
      soap ? std::nullopt : list_clients_instance(request.method, request.target);
  if (!target.is_ok() && !list_clients_of) co_return fault(kRequest, FaultCode::kMalformedRequest, target.status().message());
  if (soap) target->service = *soap_service;
  service_for_record = list_clients_of ? *list_clients_of + "/listClients" : target->service.to_string();
  trace.set_endpoint(request.method, target.is_ok() ? target->path : std::string());
  if (request.body.size() > c.settings.body_limit) {
    co_return fault(kRequest, FaultCode::kBodyTooLarge, "body larger than " + std::to_string(c.settings.body_limit) + " bytes");
  }
  auto client_text = single_header(request, "X-Xacbe-Client");
  auto message_id = single_header(request, "X-Xacbe-Id");
  auto user_id = single_header(request, "X-Xacbe-UserId");
  auto issue = single_header(request, "X-Xacbe-Issue");
  auto represented_party = single_header(request, "X-Xacbe-Represented-Party");
  for (const auto* h : {&client_text, &message_id, &user_id, &issue, &represented_party}) {
    if (!h->is_ok()) co_return fault(kRequest, FaultCode::kMalformedRequest, h->status().message());
  }
  if (client_text->empty()) co_return fault(kRequest, FaultCode::kMalformedRequest, "X-Xacbe-Client is required");
  auto client = id::ClientId::parse(*client_text);
  if (!client.is_ok()) co_return fault(kRequest, FaultCode::kMalformedRequest, "X-Xacbe-Client: " + log::bounded(client.status().message(), 200));
  if (message_id->empty()) *message_id = new_message_id();
  if (!is_message_id(*message_id)) co_return fault(kRequest, FaultCode::kMalformedRequest, "X-Xacbe-Id: 1..255 of [A-Za-z0-9._:@+=-]");
  known_message_id = *message_id;
  client_for_record = client->to_string();
  if (!is_header_text(*user_id) || !is_header_text(*issue)) {
    co_return fault(kRequest, FaultCode::kMalformedRequest, "X-Xacbe-UserId and X-Xacbe-Issue: up to 255 bytes of UTF-8 text");
  }
  if (!represented_party->empty()) {
    Status party = check_represented_party(*represented_party);
    if (!party.is_ok()) co_return fault(kRequest, FaultCode::kMalformedRequest, "X-Xacbe-Represented-Party: " + party.message());
    party_for_record = *represented_party;
    trace.set_represented_party(party_for_record);
  }
  auto headers = forwardable_headers(request.headers);
  if (!headers.is_ok()) co_return fault(kRequest, FaultCode::kMalformedRequest, headers.status().message());

  const auto settings_it = c.settings.clients.find(*client);
  if (settings_it == c.settings.clients.end()) {
    co_return fault(kRequest, FaultCode::kUnknownClient, client->to_string() + " is not a client of this security server");
  }
  const ClientSettings& client_settings = settings_it->second;
  if (!authenticated(client_settings, request, over_tls)) {
    co_return fault(kRequest, FaultCode::kClientNotAuthenticated,
                    "the connection does not meet the connection mode set for " + client->to_string());
  }

  // ---- This server may act for it ----
  auto configuration = c.configuration.current();
  if (!configuration.is_ok()) co_return fault(kHere, FaultCode::kNoGlobalConfiguration, configuration.status().message());
  const auto& conf = **configuration;
  const globalconf::SecurityServer* self = conf.find_server(c.settings.id);
  if (self == nullptr || std::find(self->clients.begin(), self->clients.end(), *client) == self->clients.end()) {
    co_return fault(kHere, FaultCode::kUnknownClient,
                    client->to_string() + " is not registered for this security server in the global configuration");
  }
  c.query_register.record_decision(Decision{RecordSide::kClient, client_for_record, service_for_record, known_message_id,
                                            log::bounded(request.peer_address, 64), true, "client-interface",
                                            "a registered client of this server, connection mode met", party_for_record});
  if (list_clients_of) {
    auto listed = list_clients(*list_clients_of, conf);
    if (!listed.is_ok()) co_return fault(kRequest, FaultCode::kUnknownProvider, listed.status().message());
    net::HttpResponse out = net::HttpResponse::make(200, "application/json", std::move(listed).value());
    ended("ok", out);
    co_return out;
  }
  Status admission = c.query_register.admission();
  if (!admission.is_ok()) co_return fault(kHere, FaultCode::kTimestampBacklog, admission.message());
  const auto signer_it = c.signers.find(client->member());
  if (signer_it == c.signers.end()) {
    co_return fault(kHere, FaultCode::kSigningUnavailable, "no signing key for " + client->member().to_string());
  }
  auto sign_ocsp = c.own_ocsp(signer_it->second.certificate);
  if (!sign_ocsp.is_ok()) {
    co_return fault(kHere, FaultCode::kSigningUnavailable, "no fresh OCSP response for the signing certificate");
  }
  auto auth_ocsp = c.own_ocsp(c.auth_certificate);
  if (!auth_ocsp.is_ok()) {
    co_return fault(kHere, FaultCode::kSigningUnavailable, "no fresh OCSP response for the authentication certificate");
  }
  const id::ClientId provider(target->service.subsystem());
  std::vector<std::string> servers;
  std::map<std::string, const globalconf::SecurityServer*> by_id;
  for (const auto* s : conf.servers_for(provider)) {
    servers.push_back(s->id.to_string());
    by_id[s->id.to_string()] = s;
  }
  if (servers.empty()) {
    co_return fault(kHere, FaultCode::kUnknownProvider, "no security server carries " + provider.to_string());
  }

  // ---- E-stamp and log the request ----
  RequestHead head{*client, target->service, *message_id, *user_id, *issue, request.method,
                   target->path, target->query, std::move(headers).value(), new_message_id(), party_for_record,
                   soap ? std::string(kSoapProtocol) : std::string()};
  known_request_id = head.request_id;
  trace.set_request_id(head.request_id);
  const std::string head_bytes = to_json(head);
  std::vector<StampedPart> parts = message_parts(head_bytes, request.body);
  const std::string body_digest = parts[1].sha256;
  StampContent content{"request", head.message_id, client->to_string(), head.service.to_string(), {},
                       std::move(parts)};
  BatchSigner* signer = signer_it->second.signer.get();
  Result<std::string> stamp = co_await sign_message(*signer, std::move(content), sign_ocsp->der);
  if (!stamp.is_ok()) co_return fault(kHere, FaultCode::kSigningUnavailable, "signing failed: " + stamp.status().message());
  const std::string request_hash = crypto::sha256(*stamp);

  RecordInput record{RecordSide::kClient, RecordKind::kRequest, head.message_id, head.request_id,
                     client->to_string(), head.service.to_string(), head.user_id, head_bytes,
                     client_settings.log_body ? std::optional<std::string>(request.body) : std::nullopt, body_digest,
                     *stamp, sign_ocsp->produced_at, sign_ocsp->produced_at + conf.settings().estamp_window,
                     client_settings.timestamp_at_once};
  Result<RecordRef> logged = co_await log_record(c.query_register, std::move(record));
  if (!logged.is_ok()) co_return fault(kHere, FaultCode::kRegisterFailure, "the query register refused the request record");

  // ---- Send it to a server carrying the provider ----
  net::HttpRequest outgoing;
  outgoing.method = "POST";
  outgoing.target = kMessagePath;
  outgoing.headers = {{kHeadHeader, crypto::base64_encode(head_bytes)},
                      {kEStampHeader, crypto::base64_encode(*stamp)},
                      {kAuthOcspHeader, crypto::base64_encode(auth_ocsp->der)},
                      {"Content-Type", "application/octet-stream"}};
  outgoing.body = std::move(request.body);

  std::optional<net::HttpResponse> answer;
  const globalconf::SecurityServer* answered_by = nullptr;
  std::string last_error = "no server tried";
  const std::string provider_text = provider.to_string();
  for (const std::string& server_id : c.health.order(provider_text, servers)) {
    const globalconf::SecurityServer* server = by_id[server_id];
    trace.set_peer_server(server_id);
    net::ClientOptions options;
    options.tls = c.peer_tls;
    options.peer.pinned = server->auth_cert_sha256;
    options.timeout = std::chrono::seconds(60);
    options.body_limit = c.settings.body_limit + 64 * 1024;
    options.header_limit = kMessageHeaderLimit;
    auto response = co_await c.http->request("https://" + server->address + kMessagePath, outgoing, options);
    if (!response.is_ok() && may_have_arrived(response.status())) {
      // Sent in full, perhaps processed: another server must not get it too.
      c.health.failed(provider_text, server_id);
      co_return fault(kHere, FaultCode::kProviderUnreachable,
                      server_id + " did not answer: " + log::bounded(response.status().message(), 200));
    }
    if (!response.is_ok()) {
      last_error = server_id + ": " + response.status().message();
      c.health.failed(provider_text, server_id);
      log::warn("exchange {}: {} unreachable: {}", head.request_id, server_id, response.status().message());
      continue;
    }
    c.health.succeeded(provider_text, server_id);
    answer = std::move(response).value();
    answered_by = server;
    break;
  }
  if (!answer) co_return fault(kHere, FaultCode::kProviderUnreachable, "no server carrying " + provider_text + " answered (" + log::bounded(last_error, 300) + ")");

  // A refusal of the provider's server is relayed as it came, with its side and id.
  if (auto relayed = Fault::from_response(*answer); relayed && relayed->side == FaultSide::kProviderSide) {
    log::warn("exchange {}: refused by {}: {}.{} {}", head.request_id, answered_by->id.to_string(),
              fault_side_name(relayed->side), fault_code_name(relayed->code), relayed->id);
    net::HttpResponse r = relayed->to_response();
    r.headers.emplace_back("X-Xacbe-Id", head.message_id);
    r.headers.emplace_back("X-Xacbe-Request-Id", head.request_id);
    ended(fault_code_name(relayed->code), r);
    co_return r;
  }

  // ---- Verify the answer before anything reaches the information system ----
  auto invalid = [&](std::string why) { return fault(kHere, FaultCode::kInvalidResponse, std::move(why)); };
  if (answer->status != 200) co_return invalid("the provider's server answered HTTP " + std::to_string(answer->status));
  if (!answer->peer_certificate || !conf.is_registered_auth_certificate(answered_by->id, *answer->peer_certificate)) {
    co_return invalid("the answer did not come from a registered authentication certificate");
  }
  auto peer_ocsp = crypto::base64_decode(answer->header(kAuthOcspHeader));
  FaultCode peer_code;
  if (!peer_ocsp.is_ok() || !c.peer_status.check(*answer->peer_certificate, *peer_ocsp, conf, &peer_code).is_ok()) {
    co_return invalid("the provider's authentication certificate has no good, fresh OCSP response");
  }
  auto response_head_bytes = crypto::base64_decode(answer->header(kHeadHeader));
  auto response_stamp = crypto::base64_decode(answer->header(kEStampHeader));
  if (!response_head_bytes.is_ok() || !response_stamp.is_ok()) co_return invalid("the answer lacks its head or e-stamp");
  auto response_head = parse_response_head(*response_head_bytes);
  if (!response_head.is_ok()) co_return invalid(response_head.status().message());
  if (response_head->message_id != head.message_id || response_head->request_hash != crypto::to_hex(request_hash)) {
    co_return invalid("the answer does not answer this request (message id or request hash)");
  }
  const EStampTrust trust = estamp_trust(conf);
  EStampFault stamp_fault;
  auto verified = verify_estamp(*response_stamp, trust, c.clock, &stamp_fault);
  if (!verified.is_ok()) co_return invalid("the answer's e-stamp: " + verified.status().message());
  const auto& v = verified->content;
  const std::vector<StampedPart> response_parts = message_parts(*response_head_bytes, answer->body);
  const std::string& response_body_digest = response_parts[1].sha256;
  if (v.kind != "response" || v.message_id != head.message_id || v.client != client->to_string() ||
      v.service != head.service.to_string() || v.request_hash != request_hash) {
    co_return invalid("the answer's e-stamp is for another message");
  }
  if (!signer_member_matches(verified->signer, provider.member().to_string())) {
    co_return invalid("the answer is not signed by " + provider.member().to_string());
  }
  if (v.parts != response_parts) {
    co_return invalid("the answer's head or body differs from its e-stamp");
  }
  RecordInput response_record{RecordSide::kClient, RecordKind::kResponse, head.message_id, head.request_id,
                              client->to_string(), head.service.to_string(), head.user_id, *response_head_bytes,
                              client_settings.log_body ? std::optional<std::string>(answer->body) : std::nullopt,
                              response_body_digest, *response_stamp, verified->ocsp.produced_at,
                              verified->ocsp.produced_at + conf.settings().estamp_window,
                              client_settings.timestamp_at_once};
  Result<RecordRef> logged_response = co_await log_record(c.query_register, std::move(response_record));
  if (!logged_response.is_ok()) co_return fault(kHere, FaultCode::kRegisterFailure, "the query register refused the response record");

  net::HttpResponse out;
  out.status = response_head->status;
  out.headers = std::move(response_head->headers);
  out.headers.emplace_back("X-Xacbe-Id", head.message_id);
  out.headers.emplace_back("X-Xacbe-Request-Id", head.request_id);
  out.headers.emplace_back("X-Xacbe-Request-Hash", crypto::to_hex(request_hash));
  out.body = std::move(answer->body);
  ended("ok", out);
  log::info("exchange {}: {} -> {} {} {}: {}", head.request_id, client->to_string(), head.service.to_string(),
            head.method, log::bounded(join_target(head), 120), out.status);
  co_return out;
}

}  // namespace xacbe::ss
