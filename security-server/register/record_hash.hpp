#pragma once
// The hash chain of the query register (docs/protocol/query-register.md "Hash chain"): each
// record's hash covers its predecessor's, so a deleted record leaves a gap in seq, a reordered one a
// link that does not match, and an altered field a hash that does not recompute.

#include <cstdint>
#include <string>
#include <string_view>

#include "register/record.hpp"

namespace xacbe::ss {

// prev_hash of record 1.
inline const std::string kGenesisHash(32, '\0');

// The first field of every encoding, so that a hash of this scheme is never a hash of another.
inline constexpr std::string_view kChainHashTag = "xacbe-query-register-v1";

// What the chain hash covers, in the order it is encoded. Heads and e-stamps enter by digest, so
// an auditor can recompute a chain from digests alone.
struct ChainFields {
  std::int64_t seq = 0;
  std::string_view prev_hash;      // raw 32 bytes
  std::int64_t created_at_ms = 0;  // Unix milliseconds
  RecordSide side = RecordSide::kClient;
  RecordKind kind = RecordKind::kRequest;
  std::string_view message_id, request_id, client, service, user_id;
  std::string_view head_sha256, body_sha256, estamp_sha256;  // raw 32 bytes each
  std::int64_t ocsp_produced_at = 0;                         // Unix seconds
  std::int64_t deadline = 0;                                 // Unix seconds
};

// SHA-256 over the concatenation, for the tag and each field in order, of the field's length as a
// 4-byte big-endian unsigned integer and its bytes. Integers are 8 bytes, big-endian two's
// complement; side and kind are their stored names ("client", "request", ...). Raw 32 bytes.
std::string chain_hash(const ChainFields& fields);

// The same fields taken from a stored record.
ChainFields chain_fields(const Record& record);

}  // namespace xacbe::ss
