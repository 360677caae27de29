#include "schema.hpp"

#include "xacbe/store/database.hpp"

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
      // 2: notifications to members, their per-member deliveries, and security incidents.
      R"sql(
CREATE TABLE notification (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('planned-change','extraordinary-change','protocol-change','termination')),
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  sent_at INTEGER NOT NULL,               -- the notice is counted from this instant
  effective_date TEXT NOT NULL,
  actor TEXT NOT NULL,
  mail_key TEXT NOT NULL                  -- random "<hex>@<domain>" that ends each Message-ID
);
CREATE TABLE notification_delivery (      -- one per member of the audience
  notification_id INTEGER NOT NULL REFERENCES notification(id),
  member_id TEXT NOT NULL,
  email TEXT NOT NULL,                    -- the liaison's address when the notification was sent
  message_id TEXT NOT NULL UNIQUE,
  outbox_id INTEGER,                      -- NULL until the message is known to be in the outbox
  acknowledged_at INTEGER,
  acknowledged_by TEXT,
  PRIMARY KEY (notification_id, member_id)
);
CREATE INDEX notification_delivery_member ON notification_delivery(member_id);
CREATE INDEX notification_delivery_unqueued ON notification_delivery(notification_id) WHERE outbox_id IS NULL;
CREATE TABLE incident (
  id INTEGER PRIMARY KEY,
  member_id TEXT NOT NULL,
  reporter TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('low','medium','high','critical')),
  description TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  reported_at INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open','closed')),
  closed_at INTEGER
);
CREATE INDEX incident_member ON incident(member_id);
CREATE TABLE incident_follow_up (
  id INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incident(id),
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  text TEXT NOT NULL,
  closes INTEGER NOT NULL
);
CREATE INDEX incident_follow_up_incident ON incident_follow_up(incident_id);
)sql",
      // 3: security servers and their management requests (docs/protocol/management-requests.md).
      R"sql(
CREATE TABLE security_server (
  id TEXT PRIMARY KEY,                    -- INSTANCE/CLASS/CODE/SERVERCODE
  owner_id TEXT NOT NULL,
  address TEXT NOT NULL,                  -- host:port
  country TEXT NOT NULL,                  -- ISO 3166-1 alpha-2 hosting country
  software_version TEXT NOT NULL,
  version_reported_at INTEGER NOT NULL,
  registered_at INTEGER NOT NULL,
  registered_by TEXT NOT NULL             -- the administrator who approved the registration
);
CREATE INDEX security_server_owner ON security_server(owner_id);
CREATE TABLE security_server_certificate (  -- authentication certificates bound to a server
  serial TEXT PRIMARY KEY,
  server_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,                   -- lower-case hex of the DER
  bound_at INTEGER NOT NULL
);
CREATE INDEX security_server_certificate_server ON security_server_certificate(server_id);
CREATE TABLE management_request (         -- accepted requests, kept with their signature
  id INTEGER PRIMARY KEY,
  server_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('register-server','submit-csr','register-auth-certificate')),
  created_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  signer TEXT NOT NULL,                   -- serial of the CEIQROO certificate, or 'bootstrap'
  body BLOB NOT NULL,                     -- the request bytes exactly as signed
  signature BLOB NOT NULL,                -- detached CMS SignedData, DER
  state TEXT NOT NULL CHECK (state IN ('pending','approved','declined')),
  decided_at INTEGER,
  decided_by TEXT,
  decline_reason TEXT,
  issued_serial TEXT,
  issued_certificate BLOB,                -- DER
  UNIQUE (server_id, request_id)
);
CREATE INDEX management_request_state ON management_request(state);
CREATE TABLE management_request_id (      -- every authenticated request id: the replay guard
  server_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (server_id, request_id)
);
CREATE TABLE foreign_hosting_permission (
  server_id TEXT PRIMARY KEY,
  reference TEXT NOT NULL,
  granted_by TEXT NOT NULL,
  granted_at INTEGER NOT NULL
);
CREATE TABLE software_release (
  version TEXT PRIMARY KEY,
  published_at INTEGER NOT NULL,
  recorded_by TEXT NOT NULL,
  recorded_at INTEGER NOT NULL
);
)sql",
      // 4: published global configurations (docs/protocol/global-configuration.md).
      R"sql(
CREATE TABLE globalconf_publication (
  version INTEGER PRIMARY KEY,            -- strictly increasing
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  content_sha256 TEXT NOT NULL,           -- of the document without version and times
  signed TEXT NOT NULL                    -- the signed form as served
);
)sql",
      // 5: what an admitted member has: subsystems, authorised users, the services it will use
      // (docs/protocol/member-records.md). Nothing is deleted: removals are stamped.
      R"sql(
CREATE TABLE member_subsystem (
  id INTEGER PRIMARY KEY,
  subsystem_id TEXT NOT NULL,             -- INSTANCE/CLASS/CODE/SUBSYSTEM
  member_id TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  added_by TEXT NOT NULL,
  removed_at INTEGER,
  removed_by TEXT
);
CREATE UNIQUE INDEX member_subsystem_current ON member_subsystem(subsystem_id) WHERE removed_at IS NULL;
CREATE INDEX member_subsystem_member ON member_subsystem(member_id);
CREATE TABLE member_user (                -- people authorised to act for a member
  id INTEGER PRIMARY KEY,
  member_id TEXT NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('responsible','administrator','operator','auditor')),
  added_at INTEGER NOT NULL,
  added_by TEXT NOT NULL,
  revoked_at INTEGER,
  revoked_by TEXT
);
CREATE UNIQUE INDEX member_user_current ON member_user(member_id, email COLLATE NOCASE, role)
  WHERE revoked_at IS NULL;
CREATE TABLE service_usage (              -- data services a member's subsystem will use
  id INTEGER PRIMARY KEY,
  member_id TEXT NOT NULL,
  client_id TEXT NOT NULL,                -- the member's subsystem
  service_id TEXT NOT NULL,               -- INSTANCE/CLASS/CODE/SUBSYSTEM/SERVICE[/VERSION]
  purpose TEXT NOT NULL,
  declared_at INTEGER NOT NULL,
  declared_by TEXT NOT NULL,
  withdrawn_at INTEGER,
  withdrawn_by TEXT
);
CREATE UNIQUE INDEX service_usage_current ON service_usage(client_id, service_id) WHERE withdrawn_at IS NULL;
CREATE INDEX service_usage_member ON service_usage(member_id);
)sql",
      // 6: global groups, sets of members and subsystems published in the global configuration.
      R"sql(
CREATE TABLE global_group (
  code TEXT PRIMARY KEY,                  -- the characters of a member code
  description TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL
);
CREATE TABLE global_group_member (
  group_code TEXT NOT NULL REFERENCES global_group(code),
  client_id TEXT NOT NULL,                -- INSTANCE/CLASS/CODE[/SUBSYSTEM]
  added_at INTEGER NOT NULL,
  added_by TEXT NOT NULL,
  PRIMARY KEY (group_code, client_id)
);
)sql",
      // 7: shared servers: the clients of other members a security server carries, registered by
      // register-client and removed by unregister-client (docs/protocol/management-requests.md).
      // SQLite cannot change a CHECK constraint, so management_request is rebuilt with the new
      // types, its rows and ids unchanged.
      R"sql(
CREATE TABLE management_request_7 (
  id INTEGER PRIMARY KEY,
  server_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('register-server','submit-csr','register-auth-certificate',
                                     'register-client','unregister-client')),
  created_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  signer TEXT NOT NULL,
  body BLOB NOT NULL,
  signature BLOB NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending','approved','declined')),
  decided_at INTEGER,
  decided_by TEXT,
  decline_reason TEXT,
  issued_serial TEXT,
  issued_certificate BLOB,
  UNIQUE (server_id, request_id)
);
INSERT INTO management_request_7 SELECT id, server_id, request_id, type, created_at, received_at, signer, body,
  signature, state, decided_at, decided_by, decline_reason, issued_serial, issued_certificate FROM management_request;
DROP TABLE management_request;
ALTER TABLE management_request_7 RENAME TO management_request;
CREATE INDEX management_request_state ON management_request(state);
CREATE TABLE server_client (              -- a client of another member a server carries
  server_id TEXT NOT NULL,                -- INSTANCE/CLASS/CODE/SERVERCODE
  client_id TEXT NOT NULL,                -- INSTANCE/CLASS/CODE[/SUBSYSTEM], not of the server's owner
  approved_at INTEGER NOT NULL,
  approved_by TEXT NOT NULL,
  request_id INTEGER NOT NULL,            -- management_request.id of the approved register-client
  PRIMARY KEY (server_id, client_id)
);
)sql",
      // 8: a member's contacts as administrators correct them (docs/protocol/member-records.md,
      // "Contacts"): each correction of one role's person, with the application it corrects.
      R"sql(
CREATE TABLE member_contact_change (
  id INTEGER PRIMARY KEY,
  member_id TEXT NOT NULL,
  application_id INTEGER NOT NULL REFERENCES application(id),  -- the contacts it corrects
  role TEXT NOT NULL CHECK (role IN ('responsible','administrator','liaison')),
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  old_name TEXT NOT NULL,
  old_email TEXT NOT NULL,
  old_phone TEXT NOT NULL,
  new_name TEXT NOT NULL,
  new_email TEXT NOT NULL,
  new_phone TEXT NOT NULL
);
CREATE INDEX member_contact_change_member ON member_contact_change(member_id);
)sql",
      // 9: a delivery fails alone (docs/protocol/notifications.md, "Delivery"): one whose message
      // could not be queued (the address is refused by the mailer's rule) records why, and an
      // administrator retries a failed delivery (to the liaison's current address) or cancels it.
      // A retry keeps what it replaced in notification_delivery_retry.
      R"sql(
ALTER TABLE notification_delivery ADD COLUMN failure TEXT;  -- set: failed before reaching the outbox, and why
ALTER TABLE notification_delivery ADD COLUMN cancelled_at INTEGER;
ALTER TABLE notification_delivery ADD COLUMN cancelled_by TEXT;
ALTER TABLE notification_delivery ADD COLUMN cancel_reason TEXT;
CREATE TABLE notification_delivery_retry (  -- one per retry: the failed attempt it replaced
  id INTEGER PRIMARY KEY,
  notification_id INTEGER NOT NULL,
  member_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  email TEXT NOT NULL,                    -- the replaced attempt's address, Message-ID and outbox entry
  message_id TEXT NOT NULL,
  outbox_id INTEGER,                      -- NULL when it never reached the outbox
  failure TEXT NOT NULL,                  -- why it failed
  FOREIGN KEY (notification_id, member_id) REFERENCES notification_delivery(notification_id, member_id)
);
CREATE INDEX notification_delivery_retry_delivery ON notification_delivery_retry(notification_id, member_id);
DROP INDEX notification_delivery_unqueued;
CREATE INDEX notification_delivery_unqueued ON notification_delivery(notification_id)
  WHERE outbox_id IS NULL AND failure IS NULL AND cancelled_at IS NULL;
)sql",
      // 10: access levels (docs/protocol/access-levels.md): the CEIQROO's ordered list and the
      // level of each member or subsystem that has one. The list is replaced as a whole; a level
      // still assigned cannot leave it (access_levels.cpp checks, in the same transaction).
      R"sql(
CREATE TABLE access_level (
  position INTEGER PRIMARY KEY,           -- rank: 0 is the lowest
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL
);
CREATE TABLE client_access_level (
  client_id TEXT PRIMARY KEY,             -- INSTANCE/CLASS/CODE or INSTANCE/CLASS/CODE/SUBSYSTEM
  level_code TEXT NOT NULL,               -- an access_level.code
  set_at INTEGER NOT NULL,
  set_by TEXT NOT NULL
);
CREATE INDEX client_access_level_code ON client_access_level(level_code);
)sql",
      // 11: usage statistics the security servers report with report-usage
      // (docs/protocol/management-requests.md, "report-usage"): one row per server, UTC day, side,
      // client and service, replaced when the server reports that day again; and each server's
      // last report, which tells a server that stopped reporting.
      R"sql(
CREATE TABLE usage_statistics (
  server_id TEXT NOT NULL,                -- the reporting server
  day TEXT NOT NULL,                      -- UTC day, YYYY-MM-DD
  side TEXT NOT NULL CHECK (side IN ('client','provider')),
  client_id TEXT NOT NULL,                -- INSTANCE/CLASS/CODE[/SUBSYSTEM]
  client_member TEXT NOT NULL,            -- the client's member
  service_id TEXT NOT NULL,               -- INSTANCE/CLASS/CODE/SUBSYSTEM/SERVICE[/VERSION]
  service_member TEXT NOT NULL,           -- the service's provider member
  requests INTEGER NOT NULL,
  succeeded INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  refused INTEGER NOT NULL,
  reported_at INTEGER NOT NULL,
  request_id TEXT NOT NULL,               -- the report-usage that last set the row
  PRIMARY KEY (server_id, day, side, client_id, service_id)
);
CREATE INDEX usage_statistics_day ON usage_statistics(day);
CREATE TABLE usage_report (               -- each server's last accepted report-usage
  server_id TEXT PRIMARY KEY,
  reported_at INTEGER NOT NULL,
  period_from TEXT NOT NULL,
  period_to TEXT NOT NULL,
  rows INTEGER NOT NULL,
  request_id TEXT NOT NULL
);
)sql",
  };
  return kMigrations;
}

Status migrate_schema(store::Database& db) {
  return db.migrate(kSchemaModule, schema_migrations(), store::LegacyVersion::user_version());
}

}  // namespace xacbe::registry
