// Notifications, first half: announcing notices to members, delivering them by mail and recording
// acknowledgements. The incidents members report are in incidents.cpp.
#include "notifications.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "mail/smtp.hpp"
#include "notifications_detail.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/store/database.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::registry {
namespace {

using calendar::Date;
using calendar::NoticeKind;
using detail::audited;

// Limits of what a person types (docs/protocol/notifications.md).
constexpr std::size_t kMaxSubject = 250;
constexpr std::size_t kMaxBody = 64 * 1024;
// A refused address is stored for display at most this long (it may be anything an old database held).
constexpr std::size_t kMaxStoredAddress = 320;

std::string_view kind_description(NoticeKind kind) {
  switch (kind) {
    case NoticeKind::kPlannedChange:
      return "cambio o mantenimiento programado";
    case NoticeKind::kExtraordinaryChange:
      return "cambio extraordinario o mantenimiento no programado";
    case NoticeKind::kProtocolChange:
      return "cambio del protocolo que requiere cambios en los sistemas de los miembros";
    case NoticeKind::kTermination:
      return "terminación de la membresía";
  }
  return "";
}

std::string notice_in_words(NoticeKind kind) {
  const calendar::NoticeRule rule = calendar::notice_rule(kind);
  const bool one = rule.amount == 1;
  const std::string n = std::to_string(rule.amount);
  switch (rule.unit) {
    case calendar::NoticeUnit::kBusinessDays:
      return n + (one ? " día hábil" : " días hábiles");
    case calendar::NoticeUnit::kCalendarDays:
      return n + (one ? " día natural" : " días naturales");
    case calendar::NoticeUnit::kCalendarMonths:
      return n + (one ? " mes" : " meses");
  }
  return n;
}

// What a delivery row and its notification hold: everything needed to rebuild the message.
struct PendingMail {
  std::int64_t notification_id = 0;
  std::string member;
  std::string email;
  std::string message_id;
  NoticeKind kind = NoticeKind::kPlannedChange;
  std::string subject;
  std::string body;
  TimePoint sent_at;
  std::string effective;
};

// The e-mail of one delivery (docs/protocol/notifications.md, "Message"): the text as written,
// then a fixed footer that says what the notice is and how to acknowledge it.
mail::Message message_for(const PendingMail& p) {
  mail::Message m;
  m.to = {p.email};
  m.subject = p.subject;
  m.message_id = p.message_id;
  m.body = p.body;
  if (!m.body.empty() && m.body.back() != '\n') m.body += '\n';
  const std::string id = std::to_string(p.notification_id);
  m.body += "\n-- \n";
  m.body += "Aviso del CEIQROO núm. " + id + ": " + std::string(kind_description(p.kind)) + " (" +
            std::string(calendar::notice_kind_name(p.kind)) + ")\n";
  m.body += "Entra en vigor: " + p.effective + " (" + std::string(calendar::kTimeZone) + ")\n";
  m.body += "Enviado: " + calendar::format_date(calendar::local_date(p.sent_at)) +
            "; aviso mínimo: " + notice_in_words(p.kind) + "\n";
  m.body += "Miembro: " + p.member + "\n";
  m.body += "Confirme la recepción de este aviso (núm. " + id + ") en el registro central.\n";
  return m;
}

}  // namespace

// "n<notification>.<member>[.r<retry>].<mail key>": unique per notification, member and retry,
// and the same whenever the message is rebuilt (the member id as mail::message_id_part).
std::string detail::delivery_message_id(std::int64_t notification_id, const id::MemberId& member,
                                        const std::string& key, int retry) {
  std::string out("n");
  out.append(std::to_string(notification_id)).append(".").append(mail::message_id_part(member.to_string()));
  if (retry > 0) out.append(".r").append(std::to_string(retry));
  return out.append(".").append(key);
}

Notifications::Notifications(store::Database& db, const Clock& clock, const calendar::BusinessCalendar& calendar,
                             Membership& membership, mail::Outbox& outbox, std::string sender)
    : db_(db),
      clock_(clock),
      calendar_(calendar),
      membership_(membership),
      outbox_(outbox),
      sender_(std::move(sender)) {}

Result<Notifications> Notifications::create(store::Database& db, const Clock& clock,
                                            const calendar::BusinessCalendar& calendar, Membership& membership,
                                            mail::Outbox& outbox, const std::string& sender) {
  if (Status st = mail::check_address(sender); !st) return invalid_argument("notification sender: " + st.message());
  return Notifications(db, clock, calendar, membership, outbox, sender);
}

Result<std::vector<Member>> Notifications::audience_of(NoticeKind kind, const Audience& audience) {
  XACBE_ASSIGN_OR_RETURN(std::vector<Member> all, membership_.members());
  std::vector<Member> out;
  if (!audience.listed) {
    // A termination concerns named members; mailing it to everyone is always a mistake.
    if (kind == NoticeKind::kTermination) {
      return invalid_argument("a termination notice names the members it concerns; it cannot go to all members");
    }
    std::copy_if(all.begin(), all.end(), std::back_inserter(out),
                 [](const Member& m) { return m.state == MemberState::kActive; });
    if (out.empty()) return failed_precondition("there is no active member to notify");
    return out;
  }
  if (audience.listed->empty()) return invalid_argument("the audience names no member");
  std::set<id::MemberId> seen;
  for (const id::MemberId& wanted : *audience.listed) {
    if (!seen.insert(wanted).second) {
      return invalid_argument("member " + wanted.to_string() + " is named twice in the audience");
    }
    const auto found = std::find_if(all.begin(), all.end(), [&](const Member& m) { return m.id == wanted; });
    if (found == all.end()) return not_found("no member " + wanted.to_string());
    // A member being terminated must still receive the notice of its termination.
    const bool termination_target = kind == NoticeKind::kTermination && (found->state == MemberState::kSuspended ||
                                                                         found->state == MemberState::kTerminating);
    if (found->state != MemberState::kActive && !termination_target) {
      return failed_precondition("member " + wanted.to_string() + " is " + std::string(state_name(found->state)) +
                                 (kind == NoticeKind::kTermination
                                      ? "; a termination notice goes to active, suspended or terminating members"
                                      : "; notifications go to active members"));
    }
    out.push_back(*found);
  }
  return out;
}

Result<std::int64_t> Notifications::announce(const std::string& actor, const Announcement& a) {
  std::int64_t id = 0;
  std::size_t refused = 0;
  AuditNote note{"notification", "", {}};
  Status st = audited(membership_.audit(), actor, "notification.announce", note, [&]() -> Status {
    XACBE_RETURN_IF_ERROR(check_text(a.subject, "the subject", kMaxSubject, false));
    XACBE_RETURN_IF_ERROR(check_text(a.body, "the body", kMaxBody, true));
    const TimePoint now = clock_.now();
    XACBE_RETURN_IF_ERROR(calendar::check_notice(a.kind, now, a.effective, calendar_));
    XACBE_ASSIGN_OR_RETURN(const Stored stored, record_notification(actor, a, now));
    id = stored.id;
    note.target = "notification:" + std::to_string(id);
    note.detail = std::string(calendar::notice_kind_name(a.kind)) + ", effective " +
                  calendar::format_date(a.effective) + ", " + std::to_string(stored.members) + " member(s)";
    refused = stored.refused;
    if (refused > 0) {
      note.detail.append("; ").append(std::to_string(refused));
      note.detail.append(" delivery(ies) failed: the liaison's address cannot receive mail");
    }
    return Status::ok();
  });
  if (!st.is_ok()) return st;
  if (refused > 0) log::warn("{}: {}", note.target, note.detail);
  queue_committed(actor, note.target);
  return id;
}

// Step 2, once the deliveries and their entry have committed: the outbox writes on a connection
// of its own. The change stands whatever happens here; what is not queued now is queued by the
// next announce, retry or resume_pending_deliveries(), and a failure has an entry of its own.
void Notifications::queue_committed(const std::string& actor, const std::string& target) {
  const QueueReport queued = enqueue_unqueued();
  if (queued.failed > 0) {
    const Status not_queued(queued.first_error.code(), std::to_string(queued.failed) +
                                                           " e-mail(s) not yet in the outbox: " +
                                                           queued.first_error.to_string());
    log::warn("{}: {}", target, not_queued.message());
    (void)membership_.audit().record(actor, "notification.queue", target, not_queued);
  }
}

// Step 1: the notification and its deliveries, with their Message-IDs, commit together (with the
// announcement's audit entry: this transaction is a savepoint of announce()'s).
Result<Notifications::Stored> Notifications::record_notification(const std::string& actor, const Announcement& a,
                                                                 TimePoint now) {
  XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
  XACBE_ASSIGN_OR_RETURN(std::vector<Member> audience, audience_of(a.kind, a.audience));
  const std::string key = mail::make_message_id(sender_);
  XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                         db_.prepare("INSERT INTO notification(kind, subject, body, sent_at, effective_date,"
                                     " actor, mail_key) VALUES(?1,?2,?3,?4,?5,?6,?7)"));
  insert.bind(1, calendar::notice_kind_name(a.kind)).bind(2, a.subject).bind(3, a.body);
  insert.bind(4, to_unix_seconds(now)).bind(5, calendar::format_date(a.effective)).bind(6, actor).bind(7, key);
  XACBE_RETURN_IF_ERROR(insert.run());
  const std::int64_t id = db_.last_insert_rowid();
  XACBE_ASSIGN_OR_RETURN(store::Statement delivery,
                         db_.prepare("INSERT INTO notification_delivery(notification_id, member_id, email,"
                                     " message_id, failure) VALUES(?1,?2,?3,?4,?5)"));
  std::size_t refused = 0;
  for (const Member& m : audience) {
    const PendingMail mail{id,
                           m.id.to_string(),
                           m.liaison.email,
                           detail::delivery_message_id(id, m.id, key),
                           a.kind,
                           a.subject,
                           a.body,
                           now,
                           calendar::format_date(a.effective)};
    // What the outbox would refuse in the message (e.g. text that is not UTF-8) is refused before
    // anything is stored; the sender's address stands in for the recipient, checked next.
    PendingMail probe = mail;
    probe.email = sender_;
    XACBE_RETURN_IF_ERROR(mail::check_message(message_for(probe)));
    const Status address = mail::check_address(mail.email);
    delivery.reset();
    delivery.bind(1, id).bind(2, mail.member).bind(4, mail.message_id);
    if (address) {
      delivery.bind(3, mail.email).bind_null(5);
    } else {
      // This delivery fails alone. The address is kept as a read can serve it (it came from a
      // database written before the mailer's rule applied at the door).
      ++refused;
      delivery.bind(3, bounded_utf8(mail.email, kMaxStoredAddress));
      delivery.bind(5, Status(Code::kInvalidArgument, "the liaison's address cannot receive mail: " + address.message())
                           .to_string());
    }
    XACBE_RETURN_IF_ERROR(delivery.run());
  }
  XACBE_RETURN_IF_ERROR(tx.commit());
  return Stored{id, audience.size(), refused};
}

Result<int> Notifications::resume_pending_deliveries() {
  // Only a resume that had something to do is an event worth an audit entry.
  QueueReport report = enqueue_unqueued();
  if (report.settled == 0 && report.failed == 0) return 0;
  AuditNote note{"notification-deliveries", std::to_string(report.settled) + " delivery(ies) settled", {}};
  if (report.refused > 0) {
    note.detail.append(", ")
        .append(std::to_string(report.refused))
        .append(" of them failed: the outbox refuses their message");
  }
  Status st = audited(membership_.audit(), "system", "notification.resume", note, [&]() -> Status {
    if (report.failed > 0) {
      return Status(
          report.first_error.code(),
          std::to_string(report.failed) + " delivery(ies) could not be queued, first: " + report.first_error.message());
    }
    return Status::ok();
  });
  if (!st.is_ok()) return st;
  return report.settled;
}

Notifications::QueueReport Notifications::enqueue_unqueued() {
  QueueReport report;
  auto fail = [&](Status st) {
    if (report.failed++ == 0) report.first_error = std::move(st);
  };
  std::vector<PendingMail> pending;
  {
    auto query = db_.prepare(
        "SELECT d.notification_id, d.member_id, d.email, d.message_id, n.kind, n.subject, n.body, n.sent_at,"
        " n.effective_date FROM notification_delivery d JOIN notification n ON n.id = d.notification_id"
        " WHERE d.outbox_id IS NULL AND d.failure IS NULL AND d.cancelled_at IS NULL"
        " ORDER BY d.notification_id, d.member_id");
    if (!query) {
      fail(query.status());
      return report;
    }
    for (;;) {
      Result<bool> row = query->step();
      if (!row) {
        fail(row.status());
        return report;
      }
      if (!*row) break;
      Result<NoticeKind> kind = calendar::parse_notice_kind(query->column_text(4));
      if (!kind) {
        fail(Status(Code::kCorrupt, "stored notification: " + kind.status().message()));
        continue;
      }
      pending.push_back({query->column_int64(0), query->column_text(1), query->column_text(2), query->column_text(3),
                         *kind, query->column_text(5), query->column_text(6), from_unix_seconds(query->column_int64(7)),
                         query->column_text(8)});
    }
  }
  for (const PendingMail& p : pending) {
    Result<std::int64_t> queued = outbox_.enqueue(message_for(p));
    std::optional<std::int64_t> outbox_id;
    if (queued) {
      outbox_id = *queued;
    } else if (queued.status().code() == Code::kAlreadyExists) {
      // Enqueued before a crash that came before its row was updated: done, find its entry.
      Result<std::optional<std::int64_t>> found = find_in_outbox(p.message_id);
      if (!found) {
        fail(found.status());
        continue;
      }
      outbox_id = *found;
    } else if (queued.status().code() == Code::kInvalidArgument) {
      // Refused for good (e.g. an address stored before the mailer's rule applied at the door):
      // this delivery fails alone, with the reason, and is not tried again until retried.
      if (Status st = record_failure(p.message_id, queued.status()); !st) {
        fail(st);
        continue;
      }
      log::warn("notification {} to {}: the outbox refuses the message: {}", p.notification_id, p.member,
                queued.status().message());
      ++report.refused;
      ++report.settled;
      continue;
    } else {
      fail(Status(queued.status().code(), "notification " + std::to_string(p.notification_id) + " to " + p.member +
                                              ": " + queued.status().message()));
      continue;
    }
    if (!outbox_id) {
      fail(internal_error("the outbox refused " + p.message_id + " as a duplicate but does not list it"));
      continue;
    }
    auto update =
        db_.prepare("UPDATE notification_delivery SET outbox_id=?1 WHERE message_id=?2 AND outbox_id IS NULL");
    if (!update) {
      fail(update.status());
      continue;
    }
    update->bind(1, *outbox_id).bind(2, p.message_id);
    if (Status st = update->run(); !st) {
      fail(st);
      continue;
    }
    ++report.settled;
  }
  return report;
}

Status Notifications::record_failure(const std::string& message_id, const Status& refusal) {
  XACBE_ASSIGN_OR_RETURN(store::Statement update,
                         db_.prepare("UPDATE notification_delivery SET failure=?1"
                                     " WHERE message_id=?2 AND outbox_id IS NULL AND failure IS NULL"));
  const Status failure(refusal.code(), "the outbox refuses the message: " + refusal.message());
  update.bind(1, failure.to_string()).bind(2, message_id);
  return update.run();
}

// Only after a crash between enqueue and recording it, so a scan of the outbox is acceptable.
Result<std::optional<std::int64_t>> Notifications::find_in_outbox(const std::string& message_id) {
  constexpr auto kAll = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  for (const mail::OutboxState state :
       {mail::OutboxState::kPending, mail::OutboxState::kSent, mail::OutboxState::kFailed}) {
    XACBE_ASSIGN_OR_RETURN(std::vector<mail::OutboxEntry> entries, outbox_.list(state, kAll));
    for (const mail::OutboxEntry& e : entries) {
      if (e.message.message_id == message_id) return std::optional<std::int64_t>(e.id);
    }
  }
  return std::optional<std::int64_t>();
}

Status Notifications::acknowledge(const std::string& actor, const id::MemberId& member, std::int64_t notification_id) {
  const std::string what = "notification " + std::to_string(notification_id);
  AuditNote note{"notification:" + std::to_string(notification_id) + ":" + member.to_string(), "", {}};
  return audited(membership_.audit(), actor, "notification.acknowledge", note, [&]() -> Status {
    XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
    XACBE_ASSIGN_OR_RETURN(store::Statement find,
                           db_.prepare("SELECT acknowledged_at, acknowledged_by FROM notification_delivery"
                                       " WHERE notification_id=?1 AND member_id=?2"));
    find.bind(1, notification_id).bind(2, member.to_string());
    XACBE_ASSIGN_OR_RETURN(const bool exists, find.step());
    if (!exists) return not_found(what + " was not sent to " + member.to_string());
    if (!find.is_null(0)) {
      const Date on = calendar::local_date(from_unix_seconds(find.column_int64(0)));
      return Status(Code::kAlreadyExists, what + " was already acknowledged for " + member.to_string() + " by " +
                                              find.column_text(1) + " on " + calendar::format_date(on));
    }
    XACBE_ASSIGN_OR_RETURN(store::Statement update,
                           db_.prepare("UPDATE notification_delivery SET acknowledged_at=?3, acknowledged_by=?4"
                                       " WHERE notification_id=?1 AND member_id=?2 AND acknowledged_at IS NULL"));
    update.bind(1, notification_id).bind(2, member.to_string()).bind(3, to_unix_seconds(clock_.now())).bind(4, actor);
    XACBE_RETURN_IF_ERROR(update.run());
    return tx.commit();
  });
}

Result<std::vector<Notification>> Notifications::list(const std::optional<id::MemberId>& member) {
  return load(std::nullopt, member);
}

Result<Notification> Notifications::notification(std::int64_t notification_id) {
  XACBE_ASSIGN_OR_RETURN(std::vector<Notification> found, load(notification_id, std::nullopt));
  if (found.empty()) return not_found("no notification " + std::to_string(notification_id));
  return std::move(found.front());
}

Result<std::vector<Notification>> Notifications::load(std::optional<std::int64_t> notification_id,
                                                      const std::optional<id::MemberId>& member) {
  auto bind_filters = [&](store::Statement& s) {
    if (notification_id)
      s.bind(1, *notification_id);
    else
      s.bind_null(1);
    if (member)
      s.bind(2, member->to_string());
    else
      s.bind_null(2);
  };
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare("SELECT id, kind, subject, body, sent_at, effective_date, actor FROM notification"
                                     " WHERE (?1 IS NULL OR id=?1) AND (?2 IS NULL OR id IN"
                                     " (SELECT notification_id FROM notification_delivery WHERE member_id=?2))"
                                     " ORDER BY id"));
  bind_filters(query);
  std::vector<Notification> out;
  std::map<std::int64_t, std::size_t> index;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(const bool row, query.step());
    if (!row) break;
    Notification n;
    n.id = query.column_int64(0);
    XACBE_ASSIGN_OR_RETURN(n.kind, calendar::parse_notice_kind(query.column_text(1)));
    n.subject = query.column_text(2);
    n.body = query.column_text(3);
    n.sent_at = from_unix_seconds(query.column_int64(4));
    XACBE_ASSIGN_OR_RETURN(n.effective, calendar::parse_date(query.column_text(5)));
    n.actor = query.column_text(6);
    index[n.id] = out.size();
    out.push_back(std::move(n));
  }
  XACBE_ASSIGN_OR_RETURN(store::Statement deliveries,
                         db_.prepare("SELECT notification_id, member_id, email, message_id, outbox_id,"
                                     " acknowledged_at, acknowledged_by, failure, cancelled_at, cancelled_by,"
                                     " cancel_reason FROM notification_delivery"
                                     " WHERE (?1 IS NULL OR notification_id=?1) AND (?2 IS NULL OR member_id=?2)"
                                     " ORDER BY notification_id, member_id"));
  bind_filters(deliveries);
  XACBE_ASSIGN_OR_RETURN(auto retries, load_retries(notification_id, member));
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(const bool row, deliveries.step());
    if (!row) break;
    const auto owner = index.find(deliveries.column_int64(0));
    if (owner == index.end()) continue;
    XACBE_ASSIGN_OR_RETURN(id::MemberId who, id::MemberId::parse(deliveries.column_text(1)));
    Delivery d{std::move(who),
               deliveries.column_text(2),
               deliveries.column_text(3),
               std::nullopt,
               DeliveryState::kPending,
               0,
               "",
               std::nullopt,
               std::nullopt,
               std::nullopt,
               {}};
    if (!deliveries.is_null(4)) {
      d.outbox_id = deliveries.column_int64(4);
      XACBE_ASSIGN_OR_RETURN(mail::OutboxEntry entry, outbox_.get(*d.outbox_id));
      d.state = entry.state == mail::OutboxState::kSent     ? DeliveryState::kSent
                : entry.state == mail::OutboxState::kFailed ? DeliveryState::kFailed
                                                            : DeliveryState::kPending;
      d.attempts = entry.attempts;
      d.last_error = entry.last_error;
      d.mailed_at = entry.sent_at;
    }
    if (!deliveries.is_null(5)) {
      d.acknowledgement = Acknowledgement{from_unix_seconds(deliveries.column_int64(5)), deliveries.column_text(6)};
    }
    if (!deliveries.is_null(7)) {
      d.state = DeliveryState::kFailed;
      d.last_error = deliveries.column_text(7);
    }
    if (!deliveries.is_null(8)) {
      d.state = DeliveryState::kCancelled;
      d.cancellation = Cancellation{from_unix_seconds(deliveries.column_int64(8)), deliveries.column_text(9),
                                    deliveries.column_text(10)};
    }
    if (auto r = retries.find({owner->first, deliveries.column_text(1)}); r != retries.end()) {
      d.retries = std::move(r->second);
    }
    out[owner->second].deliveries.push_back(std::move(d));
  }
  return out;
}

Result<std::map<std::pair<std::int64_t, std::string>, std::vector<DeliveryRetry>>> Notifications::load_retries(
    std::optional<std::int64_t> notification_id, const std::optional<id::MemberId>& member) {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare("SELECT notification_id, member_id, at, actor, email, message_id, failure"
                                     " FROM notification_delivery_retry"
                                     " WHERE (?1 IS NULL OR notification_id=?1) AND (?2 IS NULL OR member_id=?2)"
                                     " ORDER BY id"));
  if (notification_id)
    query.bind(1, *notification_id);
  else
    query.bind_null(1);
  if (member)
    query.bind(2, member->to_string());
  else
    query.bind_null(2);
  std::map<std::pair<std::int64_t, std::string>, std::vector<DeliveryRetry>> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(const bool row, query.step());
    if (!row) return out;
    out[{query.column_int64(0), query.column_text(1)}].push_back({from_unix_seconds(query.column_int64(2)),
                                                                  query.column_text(3), query.column_text(4),
                                                                  query.column_text(5), query.column_text(6)});
  }
}

}  // namespace xacbe::registry
