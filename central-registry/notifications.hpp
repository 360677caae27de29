#pragma once
// The CEIQROO's notifications to its members, and the security incidents members report
// (ARCHITECTURE.md, "Central registry"; docs/protocol/notifications.md).
//
// A notification gives at least the minimum notice of its kind (calendar/notice_rule.hpp) and goes
// by e-mail to the designated liaison of every member of its audience, one message per liaison,
// through the persistent mail outbox. Storing and enqueueing are two steps, so that nothing is lost
// and nothing is mailed twice when the process dies between them:
//   1. the notification and one delivery row per member (the liaison's address at that moment and
//      the message's Message-ID, fixed here) commit in one transaction;
//   2. each delivery's message is enqueued, and the outbox entry is recorded on its row.
// resume_pending_deliveries() (run at start-up) repeats step 2 for every row without an outbox
// entry; a message that was enqueued before the crash is refused by the outbox as a duplicate
// Message-ID (ALREADY_EXISTS), which counts as done.
//
// Every operation, successful or refused, is written to the membership's audit trail.
// Not thread-safe: the owner serialises calls, together with those to Membership (both use the
// same database connection).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/calendar/business_calendar.hpp"
#include "xacbe/calendar/notice_rule.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/id/identifiers.hpp"
#include "mail/outbox.hpp"
#include "membership.hpp"
#include "xacbe/result.hpp"

namespace xacbe::store {
class Database;
}

namespace xacbe::registry {

// Who receives a notification.
struct Audience {
  // Every member that is active when the notification is announced.
  static Audience all_active() { return {}; }
  // Exactly these members, each named once; see Notifications::announce for the states allowed.
  static Audience members(std::vector<id::MemberId> ids) { return {std::move(ids)}; }

  std::optional<std::vector<id::MemberId>> listed;  // nullopt: all active members
};

struct Announcement {
  calendar::NoticeKind kind = calendar::NoticeKind::kPlannedChange;
  std::string subject;  // one line, UTF-8
  std::string body;     // UTF-8 text; line breaks and tabs are the only control characters allowed
  calendar::Date effective;
  Audience audience;
};

struct Acknowledgement {
  TimePoint at;
  std::string by;  // the actor who recorded it
};

// One member's copy of a notification.
struct Delivery {
  id::MemberId member;
  std::string email;                      // the liaison's address when the notification was announced
  std::string message_id;                 // fixed at announcement, the same on every enqueue and retry
  std::optional<std::int64_t> outbox_id;  // unset until the message is known to be in the outbox
  // The outbox's state of the message: pending while not yet in the outbox.
  mail::OutboxState mail_state = mail::OutboxState::kPending;
  int attempts = 0;                    // SMTP sessions tried
  std::string last_error;              // of the last failed attempt
  std::optional<TimePoint> mailed_at;  // when the SMTP server accepted it
  std::optional<Acknowledgement> acknowledgement;
};

struct Notification {
  std::int64_t id = 0;
  calendar::NoticeKind kind = calendar::NoticeKind::kPlannedChange;
  std::string subject;
  std::string body;
  TimePoint sent_at;  // when it was announced: the notice is counted from this instant
  calendar::Date effective;
  std::string actor;
  std::vector<Delivery> deliveries;  // by member id
};

enum class IncidentSeverity { kLow, kMedium, kHigh, kCritical };
std::string_view severity_name(IncidentSeverity severity);  // "low", "medium", "high", "critical"
Result<IncidentSeverity> parse_severity(std::string_view name);

enum class IncidentState { kOpen, kClosed };
std::string_view incident_state_name(IncidentState state);  // "open", "closed"

struct IncidentFollowUp {
  TimePoint at;
  std::string actor;
  std::string text;
  bool closed = false;  // this follow-up closed the incident
};

struct Incident {
  std::int64_t id = 0;
  id::MemberId member;
  std::string reporter;
  IncidentSeverity severity = IncidentSeverity::kLow;
  std::string description;
  TimePoint occurred_at;
  TimePoint reported_at;
  IncidentState state = IncidentState::kOpen;
  std::optional<TimePoint> closed_at;
  std::vector<IncidentFollowUp> follow_ups;  // oldest first
};

class Notifications {
 public:
  // `db` has the registry schema and is the one `membership` uses; `sender` is the outbox's From
  // address, whose domain ends every Message-ID. Refuses a sender that is not an address
  // (INVALID_ARGUMENT). Everything passed must outlive the object.
  static Result<Notifications> create(store::Database& db, const Clock& clock,
                                      const calendar::BusinessCalendar& calendar, Membership& membership,
                                      mail::Outbox& outbox, const std::string& sender);

  // Stores the notification and mails it; returns its id. Refused, with nothing stored:
  //   INVALID_ARGUMENT     empty subject or body, a control character in the subject (or one other
  //                        than tab and line breaks in the body), text too long or not UTF-8, an
  //                        empty or repeated audience list, a termination notice to all members
  //   FAILED_PRECONDITION  less notice than the kind requires (the message names the earliest
  //                        allowed effective date), a listed member that is not active (a
  //                        termination notice may also go to a suspended or terminating member),
  //                        no active member at all, a liaison address mail cannot go to
  //   NOT_FOUND            a listed member the registry does not know
  // The notification, its deliveries and its audit entry commit together. Once stored it
  // succeeds even if enqueueing then fails (an audit entry "notification.queue" and the log say
  // so): resume_pending_deliveries() enqueues it later.
  Result<std::int64_t> announce(const std::string& actor, const Announcement& announcement);

  // Step 2 for every delivery without an outbox entry; returns how many rows it settled (newly
  // enqueued, or found already in the outbox). All rows are tried; the first error is returned.
  Result<int> resume_pending_deliveries();

  // Records that `member` acknowledged notification `notification_id`, once: NOT_FOUND when that
  // notification was not sent to the member, ALREADY_EXISTS when already acknowledged.
  Status acknowledge(const std::string& actor, const id::MemberId& member, std::int64_t notification_id);

  // For the admin API, oldest first, with each delivery's mail state read from the outbox. For a
  // member: only the notifications sent to it, each with that member's delivery only.
  Result<std::vector<Notification>> list(const std::optional<id::MemberId>& member = std::nullopt);
  Result<Notification> notification(std::int64_t notification_id);

  // A security incident reported by (or for) a member that was admitted at some point (not pending
  // or rejected). The description is required; `occurred_at` may not be in the future.
  Result<std::int64_t> report_incident(const std::string& reporter, const id::MemberId& member,
                                       IncidentSeverity severity, const std::string& description,
                                       TimePoint occurred_at);
  // Adds a follow-up to an open incident and, with `close`, closes it. A closed incident takes no
  // more follow-ups (FAILED_PRECONDITION).
  Status add_follow_up(const std::string& actor, std::int64_t incident_id, const std::string& text, bool close);
  // Oldest first, with their follow-ups.
  Result<std::vector<Incident>> list_incidents(const std::optional<id::MemberId>& member = std::nullopt);

 private:
  struct Stored {
    std::int64_t id = 0;
    std::size_t members = 0;
  };
  struct QueueReport {
    int settled = 0;
    int failed = 0;
    Status first_error;
  };

  Notifications(store::Database& db, const Clock& clock, const calendar::BusinessCalendar& calendar,
                Membership& membership, mail::Outbox& outbox, std::string sender);
  Result<Stored> record_notification(const std::string& actor, const Announcement& announcement, TimePoint now);
  Result<std::vector<Member>> audience_of(calendar::NoticeKind kind, const Audience& audience);
  QueueReport enqueue_unqueued();
  Result<std::optional<std::int64_t>> find_in_outbox(const std::string& message_id);
  Result<std::vector<Notification>> load(std::optional<std::int64_t> notification_id,
                                         const std::optional<id::MemberId>& member);

  store::Database& db_;
  const Clock& clock_;
  const calendar::BusinessCalendar& calendar_;
  Membership& membership_;
  mail::Outbox& outbox_;
  const std::string sender_;
};

}  // namespace xacbe::registry
