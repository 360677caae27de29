#pragma once
// What the query register keeps of one message (docs/protocol/query-register.md "Records"): a
// request or response on the client or provider side of an exchange, with its e-stamp, its place in
// the hash chain and, once timestamped, its batch. And the record of an access decision.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "xacbe/clock.hpp"
#include "xacbe/id/identifiers.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ss {

enum class RecordSide { kClient, kProvider };   // stored "client" / "provider"
enum class RecordKind { kRequest, kResponse };  // stored "request" / "response"

const char* side_name(RecordSide side);
const char* kind_name(RecordKind kind);
Result<RecordSide> parse_side(std::string_view name);
Result<RecordKind> parse_kind(std::string_view name);

// Longest text fields, in bytes of UTF-8. Identifiers over their bound are refused, never cut:
// two distinct message ids cut to one would look like a replay.
inline constexpr std::size_t kMaxMessageIdBytes = 255;
inline constexpr std::size_t kMaxRequestIdBytes = 255;
inline constexpr std::size_t kMaxIdentifierBytes = 1024;  // client, service, peer
inline constexpr std::size_t kMaxUserIdBytes = 255;
inline constexpr std::size_t kMaxRuleBytes = 64;
inline constexpr std::size_t kMaxReasonBytes = 1024;  // cut, not refused: it is prose

// What the exchange hands the register.
struct RecordInput {
  RecordSide side = RecordSide::kClient;
  RecordKind kind = RecordKind::kRequest;
  std::string message_id;                // the client's message id (X-Xacbe-Id), 1..255 bytes
  std::string request_id;                // this server's id of the exchange, shared by its request and response records
  std::string client, service, user_id;  // identifier texts; user_id may be empty
  std::string head;                      // the message head bytes (a JSON document)
  std::optional<std::string> body;       // nullopt: the client's setting logs digests only
  std::string body_sha256;               // raw 32 bytes, always
  std::string estamp;                    // the e-stamp XML bytes
  std::chrono::sys_seconds ocsp_produced_at{};  // producedAt of the OCSP response in the e-stamp
  std::chrono::sys_seconds deadline{};          // ocsp_produced_at + estamp window: timestamp must come before
  bool timestamp_at_once = false;               // the client's setting: wake the timestamper now
};

// Where a record landed in the chain.
struct RecordRef {
  std::int64_t seq = 0;
  std::string hash;  // raw 32 bytes
};

// A stored record, as read back.
struct Record {
  std::int64_t seq = 0;
  TimePoint created_at{};  // milliseconds kept
  RecordSide side = RecordSide::kClient;
  RecordKind kind = RecordKind::kRequest;
  std::string message_id, request_id, client, service, user_id;
  std::string head, head_sha256;
  std::optional<std::string> body;  // also nullopt when a find() was asked not to load bodies
  std::string body_sha256;
  std::string estamp, estamp_sha256;
  std::chrono::sys_seconds ocsp_produced_at{}, deadline{};
  std::string prev_hash, hash;
  std::optional<std::int64_t> batch_id;  // the timestamp batch, once timestamped
  bool deadline_missed = false;          // timestamped after its deadline: its e-stamp is not valid
};

// Whose record it is (docs/protocol/query-register.md "Owner"): on the client side the member of
// its client, on the provider side the member of its service; by text, "M" or "M/..." for member
// M, the rule the register's searches apply in SQL.
bool record_belongs_to(RecordSide side, std::string_view client, std::string_view service, const id::MemberId& member);
inline bool record_belongs_to(const Record& r, const id::MemberId& member) {
  return record_belongs_to(r.side, r.client, r.service, member);
}

// An authentication or authorization decision of the client or provider side.
struct Decision {
  RecordSide side = RecordSide::kProvider;
  std::string client, service, message_id;
  std::string peer;  // the other security server's id text
  bool allowed = false;
  std::string rule;    // short code of the rule that decided, e.g. "acl", "cert-revoked"
  std::string reason;  // prose, cut to kMaxReasonBytes
  std::string represented_party = {};  // the party the client called on behalf of; empty: none
};

struct StoredDecision {
  std::int64_t id = 0;
  TimePoint at{};
  Decision decision;
};

}  // namespace xacbe::ss
