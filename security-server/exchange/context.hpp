#pragma once
// What both sides of the exchange work with: the server's settings, the configuration in use, its
// own certificates and their OCSP responses, the signers, the query register, the catalog of
// services, and the pooled client that reaches other servers and the provider's systems. Owned by
// SecurityServer; the sides only borrow it.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "access/service_catalog.hpp"
#include "estamp/batch_signer.hpp"
#include "exchange/exchange_metrics.hpp"
#include "exchange/peer_status.hpp"
#include "exchange/provider_health.hpp"
#include "monitoring/operational_trace.hpp"
#include "register/query_register.hpp"
#include "settings.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/crypto/ocsp_client.hpp"
#include "xacbe/globalconf/downloader.hpp"
#include "xacbe/net/async.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/tls_context.hpp"

namespace xacbe::ss {

struct SigningMember {
  crypto::Certificate certificate;
  std::unique_ptr<BatchSigner> signer;
};

struct ExchangeContext {
  const Settings& settings;
  const Clock& clock;
  globalconf::ConfigurationClient& configuration;
  QueryRegister& query_register;
  std::map<id::MemberId, SigningMember>& signers;
  crypto::Certificate auth_certificate;
  // A fresh, good OCSP response for one of this server's certificates (auth or signing).
  std::function<Result<crypto::OcspResponse>(const crypto::Certificate&)> own_ocsp;
  std::shared_ptr<net::TlsContext> peer_tls;  // client side of mutual TLS with the auth certificate
  std::shared_ptr<net::HttpClient> http;
  PeerStatusCache& peer_status;
  ProviderHealth& health;
  std::function<std::shared_ptr<const ServiceCatalog>()> catalog;
  ExchangeMetrics* metrics = nullptr;  // counts each exchange where it ends; null: not counted
  OperationalLog* operational_log = nullptr;  // an operational record of each exchange; null: none
};

// The steps both sides take, each waiting without holding an I/O thread.
// E-stamps `content` with `signer` (batched with whatever else waits for it).
net::Task<Result<std::string>> sign_message(BatchSigner& signer, StampContent content, std::string ocsp_der);
// Appends `record` to the register; resumes once it is durable (group commit).
net::Task<Result<RecordRef>> log_record(QueryRegister& query_register, RecordInput record);
// What an e-stamp must chain to under `configuration`: its CA, OCSP responders and freshness.
EStampTrust estamp_trust(const globalconf::GlobalConfiguration& configuration);
// The digested parts of a message: its head bytes and its body.
std::vector<StampedPart> message_parts(std::string_view head, std::string_view body);

// Wire names (docs/protocol/exchange.md).
inline constexpr const char* kMessagePath = "/x1/message";
inline constexpr const char* kHeadHeader = "X-Xacbe-Head";
inline constexpr const char* kEStampHeader = "X-Xacbe-Estamp";
inline constexpr const char* kAuthOcspHeader = "X-Xacbe-Auth-Ocsp";
// The header of a message between servers, either way: head, e-stamp and OCSP response travel in
// it, base64, and an RSA-2048 member's batch e-stamp alone passes Beast's default of 8 KiB.
inline constexpr std::size_t kMessageHeaderLimit = 64 * 1024;

}  // namespace xacbe::ss
