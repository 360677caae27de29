// Building and signing management requests, as a security server does
// (docs/protocol/management-requests.md, "Request format" and "Signature and bootstrap").
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <nlohmann/json.hpp>

#include "xacbe/calendar/business_calendar.hpp"
#include "xacbe/crypto/asn1.hpp"
#include "xacbe/crypto/cms.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/management/management_request.hpp"

namespace xacbe::management {
namespace {

using Json = nlohmann::json;
using std::chrono::sys_seconds;

Request make(RequestType type, const id::SecurityServerId& server, sys_seconds created_at) {
  return Request{type, server, new_request_id(), created_at, {}, {}, {}, {}, KeyUsage::kAuth, {}, {}, {}, {}};
}

Status malformed(const std::string& why) {
  return invalid_argument("malformed request: " + why);
}

// The payload of `r`'s type, or why `r` lacks what the type needs.
Result<Json> payload_of(const Request& r) {
  switch (r.type) {
    case RequestType::kRegisterServer:
      if (!r.csr) return malformed("a register-server request needs its auth_csr");
      return Json{{"address", r.address},
                  {"country", r.country},
                  {"software_version", r.software_version},
                  {"auth_csr", r.csr->pem()}};
    case RequestType::kSubmitCsr:
      if (!r.csr) return malformed("a submit-csr request needs its csr");
      return Json{{"key_usage", std::string(key_usage_name(r.key_usage))}, {"csr", r.csr->pem()}};
    case RequestType::kRegisterAuthCertificate:
      if (!r.certificate) return malformed("a register-auth-certificate request needs its certificate");
      return Json{{"certificate", r.certificate->pem()}};
    case RequestType::kReportVersion:
      return Json{{"version", r.software_version}};
    case RequestType::kListNotifications:
      return Json::object();
    case RequestType::kAcknowledgeNotification:
      if (!r.notification_id || *r.notification_id <= 0) {
        return malformed("'payload.notification_id' is not a positive integer");
      }
      return Json{{"notification_id", *r.notification_id}};
    case RequestType::kRegisterClient:
    case RequestType::kUnregisterClient:
      if (!r.client) {
        return malformed(r.type == RequestType::kRegisterClient ? "a register-client request needs its client"
                                                                : "an unregister-client request needs its client");
      }
      return Json{{"client", r.client->to_string()}};
    case RequestType::kReportUsage: {
      if (!r.usage) return malformed("a report-usage request needs its report");
      Json rows = Json::array();
      for (const UsageRow& row : r.usage->rows) {
        if (!row.day.ok()) return malformed("a row's day is not a date");
        rows.push_back({{"day", calendar::format_date(row.day)},
                        {"side", std::string(usage_side_name(row.side))},
                        {"client", row.client.to_string()},
                        {"service", row.service.to_string()},
                        {"requests", row.requests},
                        {"succeeded", row.succeeded},
                        {"failed", row.failed},
                        {"refused", row.refused}});
      }
      if (!r.usage->from.ok() || !r.usage->to.ok()) return malformed("the period's days are not dates");
      return Json{{"from", calendar::format_date(r.usage->from)},
                  {"to", calendar::format_date(r.usage->to)},
                  {"rows", std::move(rows)}};
    }
  }
  return malformed("unknown request type");
}

}  // namespace

std::string new_request_id() {
  return crypto::to_hex(crypto::random_bytes(16));
}

Request make_register_server(const id::SecurityServerId& server, sys_seconds created_at, std::string address,
                             std::string country, std::string software_version, crypto::CertificateRequest auth_csr) {
  Request r = make(RequestType::kRegisterServer, server, created_at);
  r.address = std::move(address);
  r.country = std::move(country);
  r.software_version = std::move(software_version);
  r.csr = std::move(auth_csr);
  return r;
}

Request make_submit_csr(const id::SecurityServerId& server, sys_seconds created_at, KeyUsage usage,
                        crypto::CertificateRequest csr) {
  Request r = make(RequestType::kSubmitCsr, server, created_at);
  r.key_usage = usage;
  r.csr = std::move(csr);
  return r;
}

Request make_register_auth_certificate(const id::SecurityServerId& server, sys_seconds created_at,
                                       crypto::Certificate certificate) {
  Request r = make(RequestType::kRegisterAuthCertificate, server, created_at);
  r.certificate = std::move(certificate);
  return r;
}

Request make_report_version(const id::SecurityServerId& server, sys_seconds created_at, std::string version) {
  Request r = make(RequestType::kReportVersion, server, created_at);
  r.software_version = std::move(version);
  return r;
}

Request make_list_notifications(const id::SecurityServerId& server, sys_seconds created_at) {
  return make(RequestType::kListNotifications, server, created_at);
}

Request make_acknowledge_notification(const id::SecurityServerId& server, sys_seconds created_at,
                                      std::int64_t notification_id) {
  Request r = make(RequestType::kAcknowledgeNotification, server, created_at);
  r.notification_id = notification_id;
  return r;
}

Request make_register_client(const id::SecurityServerId& server, sys_seconds created_at, id::ClientId client) {
  Request r = make(RequestType::kRegisterClient, server, created_at);
  r.client = std::move(client);
  return r;
}

Request make_unregister_client(const id::SecurityServerId& server, sys_seconds created_at, id::ClientId client) {
  Request r = make(RequestType::kUnregisterClient, server, created_at);
  r.client = std::move(client);
  return r;
}

Request make_report_usage(const id::SecurityServerId& server, sys_seconds created_at, UsageReport report) {
  Request r = make(RequestType::kReportUsage, server, created_at);
  r.usage = std::move(report);
  return r;
}

Result<std::string> to_json(const Request& r) {
  // The years parse_request reads back; format_time is defined only for them.
  const sys_seconds first{};
  const sys_seconds last = std::chrono::sys_days(std::chrono::year(10000) / 1 / 1) - std::chrono::seconds(1);
  if (r.created_at < first || r.created_at > last) return malformed("created_at must be in the years 1970..9999");
  XACBE_ASSIGN_OR_RETURN(Json payload, payload_of(r));
  const Json j = {{"type", std::string(request_type_name(r.type))},
                  {"server", r.server.to_string()},
                  {"request_id", r.request_id},
                  {"created_at", globalconf::format_time(r.created_at)},
                  {"payload", std::move(payload)}};
  // nlohmann's objects keep keys in byte order; dump() is compact. Bytes that are not UTF-8 are
  // replaced here and then refused below, since no field may hold them.
  std::string bytes = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  // The same rules as the registry's: what this builder emits, the parser accepts.
  XACBE_RETURN_IF_ERROR(parse_request(bytes, r.server.owner().instance()).status());
  return bytes;
}

Result<SignedRequest> sign_request(const Request& request, const crypto::PrivateKey& key,
                                   const crypto::Certificate& certificate,
                                   const std::vector<crypto::Certificate>& chain) {
  XACBE_ASSIGN_OR_RETURN(std::string bytes, to_json(request));
  XACBE_ASSIGN_OR_RETURN(std::string signature, crypto::cms_sign_detached(key, certificate, bytes, chain));
  return SignedRequest{std::move(bytes), std::move(signature)};
}

Result<crypto::Certificate> make_bootstrap_certificate(const crypto::PrivateKey& key,
                                                       const id::SecurityServerId& server, TimePoint now) {
  XACBE_ASSIGN_OR_RETURN(crypto::X509_NAMEPtr name, crypto::make_name({{"CN", server.to_string()}}));
  crypto::X509Ptr cert(X509_new());
  auto not_before = crypto::to_asn1_time(now - std::chrono::hours(1));
  auto not_after = crypto::to_asn1_time(now + std::chrono::hours(1));
  if (!cert || X509_set_version(cert.get(), 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) != 1 ||
      X509_set_issuer_name(cert.get(), name.get()) != 1 || X509_set_subject_name(cert.get(), name.get()) != 1 ||
      X509_set1_notBefore(cert.get(), not_before.get()) != 1 || X509_set1_notAfter(cert.get(), not_after.get()) != 1 ||
      X509_set_pubkey(cert.get(), key.get()) != 1 ||
      X509_sign(cert.get(), key.get(), crypto::signing_digest(key.get())) <= 0) {
    return internal_error(crypto::openssl_error("cannot build the bootstrap certificate"));
  }
  return crypto::Certificate::share(cert.get());
}

Result<SignedRequest> sign_bootstrap_request(const Request& registration, const crypto::PrivateKey& auth_key,
                                             TimePoint now) {
  if (registration.type != RequestType::kRegisterServer || !registration.csr) {
    return invalid_argument("only a register-server request is signed the bootstrap way");
  }
  const crypto::EVP_PKEYPtr csr_key = registration.csr->public_key();
  if (!csr_key || EVP_PKEY_eq(auth_key.get(), csr_key.get()) != 1) {
    ERR_clear_error();
    return invalid_argument("a bootstrap request is signed with the key of its auth_csr");
  }
  XACBE_ASSIGN_OR_RETURN(crypto::Certificate self_signed,
                         make_bootstrap_certificate(auth_key, registration.server, now));
  return sign_request(registration, auth_key, self_signed);
}

}  // namespace xacbe::management
