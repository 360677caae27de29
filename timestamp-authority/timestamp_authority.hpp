#pragma once
// RFC 3161 time-stamping (with the RFC 5816 ESSCertIDv2 profile). The authority turns the DER of a
// TimeStampReq into the DER of a TimeStampResp: a granted token, or a rejection with the failure
// information the RFC names (badAlg, badRequest, badDataFormat, timeNotAvailable,
// unacceptedPolicy, unacceptedExtension, systemFailure). It never throws on bad input.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/result.hpp"

namespace xacbe::store {
class Database;
}

namespace xacbe::tsa {

// Hands out token serial numbers that are unique for the life of the TSA, across restarts and
// crashes. Implementations are thread-safe.
class SerialSource {
 public:
  virtual ~SerialSource() = default;
  virtual Result<std::uint64_t> next() = 0;
};

// Reserves serials in blocks persisted in SQLite (hi/lo): the high-water mark of the reserved block
// is committed before any serial of the block is used, so after a crash the next block starts
// above every serial that may have been issued. Unused serials of a block are skipped, never reused.
// Serials start at 1. `db` should be a file of its own (its schema version is the "tsa-serial" row
// of schema_versions).
class StoredSerialSource final : public SerialSource {
 public:
  // block_size: 1 .. 2^32. A larger block means fewer durable writes and more serials skipped
  // after a restart.
  static Result<std::unique_ptr<StoredSerialSource>> create(std::unique_ptr<store::Database> db,
                                                            std::uint64_t block_size = 1024);
  ~StoredSerialSource() override;
  Result<std::uint64_t> next() override;

 private:
  StoredSerialSource(std::unique_ptr<store::Database> db, std::uint64_t block_size);
  // Commits the next block to the database, then makes it current. Needs mu_ held.
  Status reserve_block();
  std::mutex mu_;
  std::unique_ptr<store::Database> db_;  // guarded by mu_
  std::uint64_t next_ = 0;               // guarded by mu_
  std::uint64_t limit_ = 0;              // guarded by mu_; first serial not yet reserved
  const std::uint64_t block_size_;
};

struct TsaSettings {
  // Policy used when the request names none; always accepted.
  std::string default_policy = "2.25.338228687574603672098159078013054936676.1.1";
  // Further policies a request may ask for.
  std::vector<std::string> other_policies;
  // Message-imprint algorithms accepted (OpenSSL names); others are badAlg.
  std::vector<std::string> digests = {"SHA256", "SHA384", "SHA512"};
  // Digest for the ESSCertIDv2 in SigningCertificateV2 (RFC 5816).
  std::string ess_cert_id_digest = "SHA256";
  // Accuracy field of every token (RFC 3161 section 2.4.2); millis and micros 0..999, 0 omits
  // the field, all three 0 omit accuracy.
  int accuracy_seconds = 1;
  int accuracy_millis = 0;
  int accuracy_micros = 0;
  // Decimal digits of fractions of a second in genTime (0..6; trailing zeros are dropped, as DER
  // requires).
  unsigned clock_precision_digits = 3;
  // TimeStampReq DER larger than this is refused with badDataFormat.
  std::size_t max_request_bytes = 8 * 1024;
};

class TimestampAuthority {
 public:
  // `cert` must carry the single critical extended key usage timeStamping (RFC 3161 section 2.3)
  // and match `key`. `chain` holds the issuing CA certificates added to the token when certReq is
  // true. `clock` and `serials` must outlive the authority. genTime comes from `clock`; while
  // clock.trusted() is false requests are refused with timeNotAvailable, and outside the validity
  // of `cert` with systemFailure (a token the relying party cannot verify is no token).
  static Result<std::unique_ptr<TimestampAuthority>> create(crypto::PrivateKey key,
                                                            crypto::Certificate cert,
                                                            std::vector<crypto::Certificate> chain,
                                                            TsaSettings settings, const Clock& clock,
                                                            SerialSource& serials);
  ~TimestampAuthority();

  // Thread-safe; concurrent calls sign in parallel (each holds its own TS_RESP_CTX from a pool).
  // Always returns a DER TimeStampResp; a failing SerialSource gives systemFailure.
  std::string respond(std::string_view request_der) const;

 private:
  struct Impl;  // defined in core/tsa/timestamp_authority.cpp
  explicit TimestampAuthority(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace xacbe::tsa
