#include "xacbe/registry/schema.hpp"

namespace xacbe::registry {

const std::vector<std::string>& schema_migrations() {
  // Times are Unix seconds (UTC); dates are ISO "YYYY-MM-DD" civil dates in America/Cancun.
  static const std::vector<std::string> kMigrations = {
      R"sql(
CREATE TABLE member (
  id TEXT PRIMARY KEY,                    -- INSTANCE/CLASS/CODE
  name TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending','active','suspended','terminating','terminated','rejected')),
  liaison_name TEXT NOT NULL,
  liaison_email TEXT NOT NULL,
  state_since INTEGER NOT NULL,
  termination_effective TEXT,             -- while terminating: the date it takes effect
  termination_basis TEXT                  -- member-request | ceiqroo-notice
);
CREATE TABLE application (
  id INTEGER PRIMARY KEY,
  member_id TEXT NOT NULL,
  submitted_at INTEGER NOT NULL,
  submitted_by TEXT NOT NULL,
  content TEXT NOT NULL,                  -- the application as submitted (JSON)
  decision TEXT CHECK (decision IN ('admitted','rejected')),
  decided_at INTEGER,
  decided_by TEXT,
  rejection_reason TEXT,
  comment TEXT
);
CREATE INDEX application_member ON application(member_id);
CREATE TABLE member_event (               -- every state change of a member
  id INTEGER PRIMARY KEY,
  member_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX member_event_member ON member_event(member_id);
CREATE TABLE member_certificate (         -- certificates the CA issued for a member
  serial TEXT PRIMARY KEY,
  member_id TEXT NOT NULL,
  profile TEXT NOT NULL,
  server_code TEXT
);
CREATE INDEX member_certificate_member ON member_certificate(member_id);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  success INTEGER NOT NULL,
  detail TEXT NOT NULL
);
)sql",
  };
  return kMigrations;
}

}  // namespace xacbe::registry
