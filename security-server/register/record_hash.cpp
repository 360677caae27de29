#include "register/record_hash.hpp"

#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ss {
namespace {

void put_field(std::string& out, std::string_view bytes) {
  const auto n = static_cast<std::uint32_t>(bytes.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xFF));
  out.append(bytes);
}

void put_int(std::string& out, std::int64_t value) {
  const auto u = static_cast<std::uint64_t>(value);
  std::string bytes;
  for (int shift = 56; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((u >> shift) & 0xFF));
  put_field(out, bytes);
}

}  // namespace

std::string chain_hash(const ChainFields& f) {
  std::string encoded;
  encoded.reserve(512);
  put_field(encoded, kChainHashTag);
  put_int(encoded, f.seq);
  put_field(encoded, f.prev_hash);
  put_int(encoded, f.created_at_ms);
  put_field(encoded, side_name(f.side));
  put_field(encoded, kind_name(f.kind));
  put_field(encoded, f.message_id);
  put_field(encoded, f.request_id);
  put_field(encoded, f.client);
  put_field(encoded, f.service);
  put_field(encoded, f.user_id);
  put_field(encoded, f.head_sha256);
  put_field(encoded, f.body_sha256);
  put_field(encoded, f.estamp_sha256);
  put_int(encoded, f.ocsp_produced_at);
  put_int(encoded, f.deadline);
  return crypto::sha256(encoded);
}

ChainFields chain_fields(const Record& r) {
  ChainFields f;
  f.seq = r.seq;
  f.prev_hash = r.prev_hash;
  f.created_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(r.created_at.time_since_epoch()).count();
  f.side = r.side;
  f.kind = r.kind;
  f.message_id = r.message_id;
  f.request_id = r.request_id;
  f.client = r.client;
  f.service = r.service;
  f.user_id = r.user_id;
  f.head_sha256 = r.head_sha256;
  f.body_sha256 = r.body_sha256;
  f.estamp_sha256 = r.estamp_sha256;
  f.ocsp_produced_at = r.ocsp_produced_at.time_since_epoch().count();
  f.deadline = r.deadline.time_since_epoch().count();
  return f;
}

}  // namespace xacbe::ss
