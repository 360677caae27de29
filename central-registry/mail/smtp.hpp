#pragma once
// Notification e-mail over real SMTP (RFC 5321) with an RFC 5322 / MIME message: UTF-8 plain text,
// quoted-printable body, RFC 2047 encoded subject. The transport is libcurl, hidden behind send().
// Delivery that must survive an SMTP outage goes through the Outbox (outbox.hpp), not send().

#include <chrono>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/result.hpp"

namespace xacbe::mail {

struct SmtpSettings {
  // smtp://host[:port] (plain, or upgraded with STARTTLS) or smtps://host[:port] (TLS from the
  // first byte). A path ("smtp://relay:25/ceiqroo.gob.mx") names the EHLO domain.
  std::string url;
  std::string from;       // envelope sender (MAIL FROM) and the From: address
  std::string from_name;  // optional display name of From:, UTF-8
  // Optional AUTH credentials. Refused on a plain smtp:// URL to a host other than loopback unless
  // require_starttls is set: a password never crosses the network in clear.
  std::string username;
  std::string password;
  // smtp:// only: STARTTLS (RFC 3207) must succeed before anything else is sent.
  bool require_starttls = false;
  std::string ca_file;  // PEM bundle that anchors the server certificate; empty: the system store
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{60'000};  // the whole SMTP session of one message
};

struct Message {
  std::vector<std::string> to;  // addresses, "local@domain", no display names
  std::string subject;          // UTF-8, one line
  std::string body;             // UTF-8 text; LF or CRLF line breaks
  // "left@right", without angle brackets. Stable across retries so receivers can drop duplicates;
  // empty: send() makes one (the Outbox assigns it at enqueue).
  std::string message_id;
  std::optional<TimePoint> date;  // origination date (RFC 5322 3.6.1); empty: now
};

// Checks an address as this module accepts it: an RFC 5321 dot-atom local part of at most 64
// octets, "@", and a domain of LDH labels, at most 254 octets in all; ASCII only, no quoted local
// parts or address literals. kInvalidArgument otherwise, which also covers every attempt at header
// or command injection; the message says what is wrong and never repeats the address. This is the
// one rule for an address anywhere in the registry: what is checked at the door is what is mailed.
Status check_address(std::string_view address);

// Everything send() refuses before connecting: bad recipients, CR/LF or control characters in the
// subject, text that is not UTF-8, a malformed Message-ID. kInvalidArgument.
Status check_message(const Message& message);

// "<32 random hex digits>@<domain of from>".
std::string make_message_id(std::string_view from);
// An identifier (a member or server id) as a part of a Message-ID's left side: '.' becomes "=2E"
// ('=' never occurs in identifiers, '/' is allowed), so that parts joined by '.' stay a dot-atom.
std::string message_id_part(std::string_view identifier);

// The RFC 5322 message exactly as it is uploaded: CRLF line endings, header lines within 78
// characters, body quoted-printable. Fails like check_message, and on a bad From address.
Result<std::string> render(const SmtpSettings& settings, const Message& message);

// Sends one message in one SMTP session. A message goes to all its recipients or to none: the
// first refused recipient aborts the session before DATA. The code tells what to do next:
//   OK                   the server accepted the message (250 after DATA)
//   INVALID_ARGUMENT     the message or the settings are malformed; nothing was sent
//   PERMISSION_DENIED    the server refused a recipient with a permanent 5xx reply to RCPT
//                        (RFC 5321 4.2.1), except 530 "authentication required", which is ours
//   FAILED_PRECONDITION  our side must change: TLS required but not offered, server certificate
//                        not trusted, authentication refused, 5xx to EHLO/MAIL/DATA/end of data
//   UNAVAILABLE          cannot connect, connection lost, 4xx (try later), or cancelled by `stop`
//   DEADLINE_EXCEEDED    connect_timeout or total_timeout passed
// Only PERMISSION_DENIED is final for the message; every other failure may succeed later.
Status send(const SmtpSettings& settings, const Message& message, std::stop_token stop = {});

}  // namespace xacbe::mail
