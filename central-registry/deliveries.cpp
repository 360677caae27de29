// Notifications, third part: what an administrator does with a failed delivery: retry it, to the
// liaison's address as it is now, or cancel it (docs/protocol/notifications.md, "Delivery").
#include "mail/smtp.hpp"
#include "notifications.hpp"
#include "notifications_detail.hpp"
#include "xacbe/store/database.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::registry {
namespace {

using detail::audited;

constexpr std::string_view kDeliveryStateNames[] = {"pending", "sent", "failed", "cancelled"};

// Limit of what a person types (docs/protocol/notifications.md).
constexpr std::size_t kMaxCancelReason = 1000;

std::string delivery_name(std::int64_t notification_id, const id::MemberId& member) {
  return "the delivery of notification " + std::to_string(notification_id) + " to " + member.to_string();
}

// The audit target of what is done to one delivery, as for its acknowledgement.
std::string delivery_target(std::int64_t notification_id, const id::MemberId& member) {
  return "notification:" + std::to_string(notification_id) + ":" + member.to_string();
}

}  // namespace

std::string_view delivery_state_name(DeliveryState state) {
  return kDeliveryStateNames[static_cast<int>(state)];
}

Result<Delivery> Notifications::failed_delivery(std::int64_t notification_id, const id::MemberId& member) {
  XACBE_ASSIGN_OR_RETURN(std::vector<Notification> found, load(notification_id, member));
  if (found.empty() || found.front().deliveries.empty()) {
    XACBE_RETURN_IF_ERROR(notification(notification_id).status());
    return not_found("notification " + std::to_string(notification_id) + " was not sent to " + member.to_string());
  }
  Delivery d = std::move(found.front().deliveries.front());
  const std::string what = delivery_name(notification_id, member);
  constexpr std::string_view kOnlyFailed = "; only a failed delivery can be retried or cancelled";
  switch (d.state) {
    case DeliveryState::kFailed:
      return d;
    case DeliveryState::kPending:
      return failed_precondition(what + " is pending: the outbox is still trying it (" + std::to_string(d.attempts) +
                                 " attempt(s) so far)" + std::string(kOnlyFailed));
    case DeliveryState::kSent:
      return failed_precondition(what + " was delivered" +
                                 (d.mailed_at ? " at " + to_iso8601_utc(*d.mailed_at) : std::string()) +
                                 std::string(kOnlyFailed));
    case DeliveryState::kCancelled:
      return failed_precondition(what + " was cancelled by " + (d.cancellation ? d.cancellation->by : "?") +
                                 "; a cancelled delivery stays cancelled");
  }
  return internal_error(what + " has an unknown state");
}

// The retry replaces the delivery's current attempt, which is kept with why it failed, by a new
// message to the liaison's address as it is now: a new Message-ID, since the outbox keeps the
// failed message under the old one. The message is queued after the commit (step 2 of announce).
Status Notifications::retry_delivery(const std::string& actor, std::int64_t notification_id,
                                     const id::MemberId& member) {
  AuditNote note{delivery_target(notification_id, member), "", {}};
  Status st = audited(membership_.audit(), actor, "notification.retry", note, [&]() -> Status {
    XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
    XACBE_ASSIGN_OR_RETURN(const Delivery failed, failed_delivery(notification_id, member));
    XACBE_ASSIGN_OR_RETURN(const Member current, membership_.member(member));
    if (Status address = mail::check_address(current.liaison.email); !address) {
      return failed_precondition("the liaison's address of member " + member.to_string() + " cannot receive mail: " +
                                 address.message() + "; correct the member's contacts first");
    }
    XACBE_ASSIGN_OR_RETURN(store::Statement key, db_.prepare("SELECT mail_key FROM notification WHERE id=?1"));
    key.bind(1, notification_id);
    XACBE_ASSIGN_OR_RETURN(const bool has_key, key.step());
    if (!has_key) return not_found("no notification " + std::to_string(notification_id));
    const int retry = static_cast<int>(failed.retries.size()) + 1;
    const std::string message_id = detail::delivery_message_id(notification_id, member, key.column_text(0), retry);

    XACBE_ASSIGN_OR_RETURN(
        store::Statement keep,
        db_.prepare("INSERT INTO notification_delivery_retry(notification_id, member_id, at,"
                    " actor, email, message_id, outbox_id, failure) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)"));
    keep.bind(1, notification_id).bind(2, member.to_string()).bind(3, to_unix_seconds(clock_.now())).bind(4, actor);
    keep.bind(5, failed.email).bind(6, failed.message_id);
    if (failed.outbox_id)
      keep.bind(7, *failed.outbox_id);
    else
      keep.bind_null(7);
    keep.bind(8, failed.last_error.empty() ? std::string("UNKNOWN: no error recorded") : failed.last_error);
    XACBE_RETURN_IF_ERROR(keep.run());
    XACBE_ASSIGN_OR_RETURN(store::Statement update,
                           db_.prepare("UPDATE notification_delivery SET email=?3, message_id=?4, outbox_id=NULL,"
                                       " failure=NULL WHERE notification_id=?1 AND member_id=?2"));
    update.bind(1, notification_id).bind(2, member.to_string()).bind(3, current.liaison.email).bind(4, message_id);
    XACBE_RETURN_IF_ERROR(update.run());
    note.detail = "retry " + std::to_string(retry) +
                  (current.liaison.email == failed.email ? ", to the same address" : ", to the liaison's new address");
    return tx.commit();
  });
  if (!st.is_ok()) return st;
  queue_committed(actor, note.target);
  return Status::ok();
}

Status Notifications::cancel_delivery(const std::string& actor, std::int64_t notification_id,
                                      const id::MemberId& member, const std::string& reason) {
  AuditNote note{delivery_target(notification_id, member), "", {}};
  return audited(membership_.audit(), actor, "notification.cancel", note, [&]() -> Status {
    XACBE_RETURN_IF_ERROR(check_text(reason, "the reason", kMaxCancelReason, false));
    XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
    XACBE_RETURN_IF_ERROR(failed_delivery(notification_id, member).status());
    XACBE_ASSIGN_OR_RETURN(store::Statement update,
                           db_.prepare("UPDATE notification_delivery SET cancelled_at=?3, cancelled_by=?4,"
                                       " cancel_reason=?5 WHERE notification_id=?1 AND member_id=?2"
                                       " AND cancelled_at IS NULL"));
    update.bind(1, notification_id).bind(2, member.to_string()).bind(3, to_unix_seconds(clock_.now()));
    update.bind(4, actor).bind(5, reason);
    XACBE_RETURN_IF_ERROR(update.run());
    note.detail = "cancelled: " + reason;
    return tx.commit();
  });
}

}  // namespace xacbe::registry
