#include "register/register_schema.hpp"

namespace xacbe::ss {

// records: one row per message, seq is the place in the hash chain (docs/protocol/query-register.md).
//   Times: created_at in Unix milliseconds, ocsp_produced_at and deadline in Unix seconds.
//   batch_id, leaf_index, audit_path and deadline_missed were set once timestamped up to schema
//   version 3; since version 4 they are no longer written or read (see record_stamps).
// The unique partial index is the replay guard of the provider side.
// timestamp_batches: one RFC 3161 token per Merkle batch; root is its imprint.
// decisions: the authentication and authorization record, with its own retention.
// configurations (2): every signed global configuration the server put in use, from when, so that an
//   exported record carries the configuration in force when it was signed.
// archives (3): every archive file written (audit/archive.hpp, docs/protocol/query-register.md
//   "Retention and archives"): the records first_seq..last_seq and the decisions up to
//   decisions_through it holds, the SHA-256 of its stored bytes, whether the transfer command took
//   it, and how far its records have left the live store (deleted_through, with the hash of that
//   record, is where the live chain now starts).
// record_stamps (4): each timestamped record's place under its batch token: batch_id, leaf_index,
//   audit_path (32-byte hashes concatenated), deadline_missed. Kept apart from records so that
//   timestamping writes a small row instead of rewriting the record with its head, body and
//   e-stamp (which doubled the register's writes and held the writer for a whole batch).
// decisions.represented_party (5): the party the client called on behalf of ('' for none), so
//   that the intermediary's authentication and authorization record names whom it acted for.
// unstamped (4): the records waiting for a timestamp, with their deadlines: the timestamper's
//   backlog and the eight-hour admission check, cheap however long the register grows. A trigger
//   enters each record with its insert, in the same statement, so no record is committed outside
//   both tables; stamping moves it from unstamped to record_stamps in the batch's transaction; a
//   deleted (archived) record leaves both with it.
const std::vector<std::string>& register_migrations() {
  static const std::vector<std::string> migrations = {
      R"sql(
CREATE TABLE timestamp_batches(
  id INTEGER PRIMARY KEY,
  root BLOB NOT NULL,
  size INTEGER NOT NULL,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  token BLOB NOT NULL,
  gen_time INTEGER NOT NULL,
  stored_at INTEGER NOT NULL);
CREATE TABLE records(
  seq INTEGER PRIMARY KEY,
  created_at INTEGER NOT NULL,
  side TEXT NOT NULL CHECK(side IN ('client','provider')),
  kind TEXT NOT NULL CHECK(kind IN ('request','response')),
  message_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  client TEXT NOT NULL,
  service TEXT NOT NULL,
  user_id TEXT NOT NULL,
  head BLOB NOT NULL,
  head_sha256 BLOB NOT NULL,
  body BLOB,
  body_sha256 BLOB NOT NULL,
  estamp BLOB NOT NULL,
  estamp_sha256 BLOB NOT NULL,
  ocsp_produced_at INTEGER NOT NULL,
  deadline INTEGER NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL,
  batch_id INTEGER REFERENCES timestamp_batches(id),
  leaf_index INTEGER,
  audit_path BLOB,
  deadline_missed INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX records_provider_request ON records(client, message_id)
  WHERE side = 'provider' AND kind = 'request';
CREATE INDEX records_message_id ON records(message_id, client);
CREATE INDEX records_request_id ON records(request_id);
CREATE INDEX records_client ON records(client);
CREATE INDEX records_service ON records(service);
CREATE INDEX records_created_at ON records(created_at);
CREATE INDEX records_unstamped_seq ON records(seq) WHERE batch_id IS NULL;
CREATE INDEX records_unstamped_deadline ON records(deadline) WHERE batch_id IS NULL;
CREATE INDEX records_missed ON records(seq) WHERE deadline_missed = 1;
CREATE TABLE decisions(
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  side TEXT NOT NULL,
  client TEXT NOT NULL,
  service TEXT NOT NULL,
  message_id TEXT NOT NULL,
  peer TEXT NOT NULL,
  allowed INTEGER NOT NULL,
  rule TEXT NOT NULL,
  reason TEXT NOT NULL);
CREATE INDEX decisions_at ON decisions(at);
)sql",
      R"sql(
CREATE TABLE configurations(
  id INTEGER PRIMARY KEY,
  instance TEXT NOT NULL,
  version INTEGER NOT NULL,
  signed BLOB NOT NULL,
  sha256 BLOB NOT NULL UNIQUE,
  in_use_from INTEGER NOT NULL);
CREATE INDEX configurations_in_use_from ON configurations(in_use_from);
)sql",
      R"sql(
CREATE TABLE archives(
  archive_index INTEGER PRIMARY KEY,
  file TEXT NOT NULL,
  sha256 BLOB NOT NULL,
  first_seq INTEGER,
  last_seq INTEGER,
  last_hash BLOB,
  decisions_through INTEGER NOT NULL,
  decisions INTEGER NOT NULL,
  written_at INTEGER NOT NULL,
  transferred INTEGER NOT NULL DEFAULT 0,
  deleted_through INTEGER NOT NULL DEFAULT 0,
  deleted_through_hash BLOB,
  done INTEGER NOT NULL DEFAULT 0);
)sql",
      R"sql(
CREATE TABLE record_stamps(
  seq INTEGER PRIMARY KEY,
  batch_id INTEGER NOT NULL REFERENCES timestamp_batches(id),
  leaf_index INTEGER NOT NULL,
  audit_path BLOB NOT NULL,
  deadline_missed INTEGER NOT NULL);
CREATE INDEX record_stamps_missed ON record_stamps(seq) WHERE deadline_missed = 1;
CREATE TABLE unstamped(
  seq INTEGER PRIMARY KEY,
  deadline INTEGER NOT NULL);
CREATE INDEX unstamped_deadline ON unstamped(deadline);
INSERT INTO record_stamps(seq, batch_id, leaf_index, audit_path, deadline_missed)
  SELECT seq, batch_id, leaf_index, audit_path, deadline_missed FROM records WHERE batch_id IS NOT NULL;
INSERT INTO unstamped(seq, deadline) SELECT seq, deadline FROM records WHERE batch_id IS NULL;
DROP INDEX records_unstamped_seq;
DROP INDEX records_unstamped_deadline;
DROP INDEX records_missed;
CREATE TRIGGER records_enter_unstamped AFTER INSERT ON records
  BEGIN INSERT INTO unstamped(seq, deadline) VALUES(NEW.seq, NEW.deadline); END;
CREATE TRIGGER records_leave_with_stamp AFTER DELETE ON records
  BEGIN DELETE FROM record_stamps WHERE seq = OLD.seq; DELETE FROM unstamped WHERE seq = OLD.seq; END;
)sql",
      R"sql(
ALTER TABLE decisions ADD COLUMN represented_party TEXT NOT NULL DEFAULT '';
)sql",
  };
  return migrations;
}

}  // namespace xacbe::ss
