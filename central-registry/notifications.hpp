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
// A delivery fails alone: an address the mailer's rule refuses (mail::check_address; an old
// database may hold one the application once accepted) makes that delivery failed, with the
// reason, in step 1 or 2, and every other delivery goes on. So does a permanent refusal by the
// SMTP server. An administrator then retries the failed delivery, to the liaison's address as it
// is then (corrected through MemberContacts), or cancels it:
//
//   state      reached by                                              next
//   pending    announce, retry_delivery                                sent, failed
//   sent       the SMTP server accepted the message                    (final)
//   failed     the address refused by the mailer's rule or, for good,  pending (retry), cancelled
//              by the SMTP server (5xx to RCPT TO)
//   cancelled  cancel_delivery                                         (final)
//
// Every operation, successful or refused, is written to the membership's audit trail.
// Not thread-safe: the owner serialises calls, together with those to Membership (both use the
// same database connection).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mail/outbox.hpp"
#include "membership.hpp"
#include "xacbe/calendar/business_calendar.hpp"
#include "xacbe/calendar/notice_rule.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/id/identifiers.hpp"
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

// The state of one member's copy of a notification (the table above).
enum class DeliveryState { kPending, kSent, kFailed, kCancelled };
std::string_view delivery_state_name(DeliveryState state);  // "pending", "sent", "failed", "cancelled"

// A retry of a failed delivery, with the failed attempt it replaced.
struct DeliveryRetry {
  TimePoint at;
  std::string by;          // the administrator who retried
  std::string email;       // the replaced attempt's address,
  std::string message_id;  // its Message-ID,
  std::string error;       // and why it failed ("CODE_NAME: message")
};

struct Cancellation {
  TimePoint at;
  std::string by;
  std::string reason;
};

// One member's copy of a notification.
struct Delivery {
  id::MemberId member;
  // The current attempt: the liaison's address when the notification was announced, or when the
  // delivery was last retried, and its message's Message-ID, the same on every enqueue of it.
  std::string email;
  std::string message_id;
  std::optional<std::int64_t> outbox_id;  // unset until the message is known to be in the outbox
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;                    // SMTP sessions tried for the current attempt
  std::string last_error;              // of its last failed session, or why it could not be queued
  std::optional<TimePoint> mailed_at;  // when the SMTP server accepted it
  std::optional<Acknowledgement> acknowledgement;
  std::optional<Cancellation> cancellation;
  std::vector<DeliveryRetry> retries;  // oldest first
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
  //                        no active member at all
  //   NOT_FOUND            a listed member the registry does not know
  // A liaison address mail cannot go to refuses nothing: that member's delivery is stored failed,
  // with the reason, and the others are mailed. The notification, its deliveries and its audit
  // entry commit together. Once stored it succeeds even if enqueueing then fails (an audit entry
  // "notification.queue" and the log say so): resume_pending_deliveries() enqueues it later.
  Result<std::int64_t> announce(const std::string& actor, const Announcement& announcement);

  // Step 2 for every pending delivery without an outbox entry; returns how many rows it settled
  // (newly enqueued, found already in the outbox, or failed because the outbox refuses the message
  // for good, e.g. an address stored before the mailer's rule applied). All rows are tried; the
  // first error is returned.
  Result<int> resume_pending_deliveries();

  // Sends a failed delivery again, to the member's liaison address as it is now, as a new message
  // with a new Message-ID; the failed attempt is kept in the delivery's retries. Refused:
  //   NOT_FOUND            no such notification, or it was not sent to `member`
  //   FAILED_PRECONDITION  the delivery is not failed (pending, sent or cancelled), or the
  //                        liaison's current address cannot receive mail (correct it first)
  // Audited as "notification.retry"; the message is queued after the commit, as announce() does.
  Status retry_delivery(const std::string& actor, std::int64_t notification_id, const id::MemberId& member);
  // Gives a failed delivery up for good; `reason` is required (one line, at most 1000 bytes).
  // Refused like retry_delivery (but the address is not looked at). Audited as
  // "notification.cancel".
  Status cancel_delivery(const std::string& actor, std::int64_t notification_id, const id::MemberId& member,
                         const std::string& reason);

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
    std::size_t refused = 0;  // deliveries stored failed: the address cannot receive mail
  };
  struct QueueReport {
    int settled = 0;  // including `refused`
    int refused = 0;  // failed alone: the outbox refuses the message for good
    int failed = 0;   // not queued for now
    Status first_error;
  };

  Notifications(store::Database& db, const Clock& clock, const calendar::BusinessCalendar& calendar,
                Membership& membership, mail::Outbox& outbox, std::string sender);
  Result<Stored> record_notification(const std::string& actor, const Announcement& announcement, TimePoint now);
  Result<std::vector<Member>> audience_of(calendar::NoticeKind kind, const Audience& audience);
  QueueReport enqueue_unqueued();
  // Marks the unqueued delivery of `message_id` failed: the outbox refused its message for good.
  Status record_failure(const std::string& message_id, const Status& refusal);
  // Step 2 after a change that committed deliveries (announce, retry): what is not queued now
  // gets an audit entry "notification.queue" of its own, on `target`.
  void queue_committed(const std::string& actor, const std::string& target);
  // The one delivery's state for retry and cancel: FAILED_PRECONDITION unless failed.
  Result<Delivery> failed_delivery(std::int64_t notification_id, const id::MemberId& member);
  Result<std::optional<std::int64_t>> find_in_outbox(const std::string& message_id);
  Result<std::vector<Notification>> load(std::optional<std::int64_t> notification_id,
                                         const std::optional<id::MemberId>& member);
  // The retries of the deliveries load() reads, by (notification id, member id), oldest first.
  Result<std::map<std::pair<std::int64_t, std::string>, std::vector<DeliveryRetry>>> load_retries(
      std::optional<std::int64_t> notification_id, const std::optional<id::MemberId>& member);

  store::Database& db_;
  const Clock& clock_;
  const calendar::BusinessCalendar& calendar_;
  Membership& membership_;
  mail::Outbox& outbox_;
  const std::string sender_;
};

}  // namespace xacbe::registry
