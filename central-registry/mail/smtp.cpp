#include "mail/smtp.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <memory>

#include "xacbe/crypto/encoding.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::mail {
namespace {

constexpr std::size_t kMaxRecipients = 100;      // RFC 5321 4.5.3.1.8: servers take at least 100
constexpr std::size_t kMaxAddressOctets = 254;   // RFC 5321 4.5.3.1.3 path, less its brackets
constexpr std::size_t kMaxLocalPartOctets = 64;  // RFC 5321 4.5.3.1.1
constexpr std::size_t kMaxSubjectOctets = 998;
constexpr std::size_t kMaxBodyOctets = 10 * 1024 * 1024;
constexpr std::size_t kMaxLineLength = 78;      // RFC 5322 2.1.1, header lines we write
constexpr std::size_t kEncodedWordOctets = 39;  // 52 base64 characters: a 64-character word

// ---- text checks --------------------------------------------------------------------------------

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7F;
  });
}

bool is_printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7E; });
}

// atext of RFC 5322 3.2.3.
bool is_atext(char c) {
  if (std::isalnum(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 0x80) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s[i - 1] == '.') return false;
    } else if (!is_atext(s[i])) {
      return false;
    }
  }
  return true;
}

bool is_domain(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = d.find('.', start);
    const std::string_view label = d.substr(start, dot == std::string_view::npos ? d.npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 0x80) && c != '-') {
        return false;
      }
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

Status check_message_id(std::string_view id) {
  const std::size_t at = id.find('@');
  if (id.size() > 250 || at == std::string_view::npos || !is_dot_atom(id.substr(0, at)) ||
      !is_dot_atom(id.substr(at + 1))) {
    return invalid_argument("malformed Message-ID (expected dot-atom@dot-atom, without <>)");
  }
  return Status::ok();
}

// ---- message rendering --------------------------------------------------------------------------

// RFC 5322 3.3 date-time in UTC; names written out so the C locale does not matter.
std::string format_date(TimePoint t) {
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[static_cast<std::size_t>(tm.tm_wday)],
                tm.tm_mday, kMonths[static_cast<std::size_t>(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

// RFC 2047 "B" encoded-words of at most 39 octets each, never splitting a UTF-8 sequence, folded
// onto continuation lines (each word fits a line of 76 characters, RFC 2047 section 2).
std::string encoded_words(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t n = std::min(kEncodedWordOctets, text.size() - i);
    while (i + n < text.size() && n > 1 && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) --n;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + crypto::base64_encode(text.substr(i, n)) + "?=";
    i += n;
  }
  return out;
}

// Unstructured header text: as is when it is short printable ASCII, else encoded-words.
std::string header_text(std::string_view text, std::size_t used) {
  if (is_printable_ascii(text) && text.find("=?") == std::string_view::npos && used + text.size() <= kMaxLineLength) {
    return std::string(text);
  }
  return encoded_words(text);
}

std::string display_name(std::string_view name) {
  if (!is_printable_ascii(name) || name.find("=?") != std::string_view::npos) return encoded_words(name);
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

// Quoted-printable (RFC 2045 6.7) with CRLF hard line breaks; LF, CRLF and a lone CR all end a line.
std::string quoted_printable(std::string_view body) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t column = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < body.size() && body[i + 1] == '\n') ++i;
      out += "\r\n";
      column = 0;
      continue;
    }
    const bool line_end = i + 1 == body.size() || body[i + 1] == '\r' || body[i + 1] == '\n';
    const auto u = static_cast<unsigned char>(c);
    const bool literal = (u >= 33 && u <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_end);
    std::string token = literal ? std::string(1, c) : std::string{'=', kHex[u >> 4], kHex[u & 0x0F]};
    // A soft break "=" must fit the 76-character line too, except after the last token of a line.
    if (column + token.size() > (line_end ? 76u : 75u)) {
      out += "=\r\n";
      column = 0;
    }
    out += token;
    column += token.size();
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

std::string to_header(const std::vector<std::string>& to) {
  std::string out = "To: ";
  std::size_t column = out.size();
  for (std::size_t i = 0; i < to.size(); ++i) {
    const std::string item = to[i] + (i + 1 < to.size() ? "," : "");
    if (i > 0) {
      if (column + 1 + item.size() > kMaxLineLength) {
        out += "\r\n";
        column = 0;
      }
      out += ' ';
      ++column;
    }
    out += item;
    column += item.size();
  }
  return out + "\r\n";
}

// ---- transport ----------------------------------------------------------------------------------

struct CurlDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
  void operator()(char* s) const { curl_free(s); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using CurlListPtr = std::unique_ptr<curl_slist, CurlDeleter>;
using CurlUrlPtr = std::unique_ptr<CURLU, CurlDeleter>;
using CurlStringPtr = std::unique_ptr<char, CurlDeleter>;

void init_curl_once() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);  // thread-safe static init
  (void)rc;
}

std::string url_part(CURLU* url, CURLUPart part) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, 0) != CURLUE_OK) return {};
  CurlStringPtr owned(raw);
  return raw;
}

bool is_loopback(std::string_view host) {
  return host == "localhost" || host == "[::1]" || host == "::1" || host.rfind("127.", 0) == 0;
}

Status check_settings(const SmtpSettings& s) {
  init_curl_once();
  CurlUrlPtr url(curl_url());
  if (!url || curl_url_set(url.get(), CURLUPART_URL, s.url.c_str(), 0) != CURLUE_OK) {
    return invalid_argument("SMTP URL is malformed: " + s.url);
  }
  const std::string scheme = url_part(url.get(), CURLUPART_SCHEME);
  if (scheme != "smtp" && scheme != "smtps") return invalid_argument("SMTP URL must be smtp:// or smtps://: " + s.url);
  if (!url_part(url.get(), CURLUPART_USER).empty()) {
    return invalid_argument("SMTP URL must not carry credentials; set username and password instead");
  }
  const std::string host = url_part(url.get(), CURLUPART_HOST);
  if (host.empty()) return invalid_argument("SMTP URL has no host: " + s.url);
  if (!s.username.empty() && scheme == "smtp" && !s.require_starttls && !is_loopback(host)) {
    return invalid_argument("SMTP credentials over plain smtp:// need require_starttls");
  }
  if (s.connect_timeout.count() <= 0 || s.total_timeout.count() <= 0) {
    return invalid_argument("SMTP timeouts must be positive");
  }
  if (Status st = check_address(s.from); !st) return invalid_argument("From address: " + st.message());
  if (!is_utf8(s.from_name) || has_control(s.from_name)) {
    return invalid_argument("From display name must be UTF-8 without control characters");
  }
  return Status::ok();
}

// What the SMTP dialog showed, seen through libcurl's debug callback: the last command and the
// reply to it. Only command verbs and RCPT addresses are kept, never AUTH arguments.
struct Dialog {
  std::string command = "greeting";  // EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, "end of data"
  std::string recipient;             // argument of the last RCPT
  int reply_code = 0;                // final reply to `command`; 0 while none came
  std::string reply;                 // that reply line
  bool quitting = false;             // QUIT and its reply do not count
};

void on_command(Dialog& d, std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  std::string verb(line.substr(0, line.find(' ')));
  std::transform(verb.begin(), verb.end(), verb.begin(), [](unsigned char c) { return std::toupper(c); });
  if (verb == "QUIT") {
    d.quitting = true;
    return;
  }
  static constexpr std::array<std::string_view, 8> kVerbs{"EHLO", "HELO", "STARTTLS", "AUTH",
                                                          "MAIL", "RCPT", "DATA",     "RSET"};
  if (std::find(kVerbs.begin(), kVerbs.end(), verb) == kVerbs.end()) return;  // e.g. SASL responses
  d.command = verb;
  d.reply_code = 0;
  d.reply.clear();
  if (verb == "RCPT") {
    const std::size_t open = line.find('<');
    const std::size_t close = line.find('>', open);
    d.recipient =
        open == line.npos || close == line.npos ? std::string() : std::string(line.substr(open + 1, close - open - 1));
  }
}

void on_reply(Dialog& d, std::string_view text) {
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == text.npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    const bool coded =
        line.size() >= 3 && std::all_of(line.begin(), line.begin() + 3, [](char c) { return c >= '0' && c <= '9'; });
    if (!coded || (line.size() > 3 && line[3] != ' ')) continue;  // "250-..." continues a multi-line reply
    d.reply_code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    d.reply = std::string(line.substr(0, 200));
  }
}

int debug_callback(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  auto& d = *static_cast<Dialog*>(user);
  if (d.quitting) return 0;
  const std::string_view text(data, size);
  if (type == CURLINFO_HEADER_OUT)
    on_command(d, text);
  else if (type == CURLINFO_HEADER_IN)
    on_reply(d, text);
  else if (type == CURLINFO_DATA_OUT && d.command != "end of data") {
    d.command = "end of data";
    d.reply_code = 0;
  }
  return 0;
}

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

size_t read_callback(char* buffer, size_t size, size_t count, void* user) {
  auto& up = *static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, up.data.size() - up.offset);
  std::copy_n(up.data.data() + up.offset, n, buffer);
  up.offset += n;
  return n;
}

int progress_callback(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::stop_token*>(user)->stop_requested() ? 1 : 0;
}

// A refusal by the server (a 4xx/5xx final reply to the command in progress) decides the code;
// otherwise the transport error does.
Status classify(CURLcode rc, const Dialog& d, const std::string& detail) {
  if (d.reply_code >= 400) {
    const std::string what = d.command == "RCPT" ? "RCPT TO:<" + d.recipient + ">" : d.command;
    const std::string msg = "SMTP server refused " + what + ": " + d.reply;
    if (d.reply_code < 500) return unavailable(msg + " (temporary)");
    if (d.command == "RCPT" && d.reply_code != 530) return permission_denied(msg);
    return failed_precondition(msg);
  }
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return {Code::kDeadlineExceeded, "SMTP timed out: " + detail};
    case CURLE_ABORTED_BY_CALLBACK:
      return unavailable("SMTP delivery cancelled");
    case CURLE_USE_SSL_FAILED:
      return failed_precondition("SMTP server does not offer the required STARTTLS: " + detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_LOGIN_DENIED:
      return failed_precondition("SMTP TLS or authentication failed: " + detail);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return invalid_argument("SMTP URL refused: " + detail);
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      return internal_error("libcurl: " + detail);
    default:
      return unavailable("SMTP server unreachable: " + detail);
  }
}

}  // namespace

// Each refusal says what is wrong and never repeats the address: it may be anything a client sent.
Status check_address(std::string_view address) {
  if (address.empty()) return invalid_argument("the e-mail address is empty");
  if (address.size() > kMaxAddressOctets) {
    return invalid_argument("the e-mail address is longer than " + std::to_string(kMaxAddressOctets) + " octets");
  }
  if (has_control(address) || address.find(' ') != std::string_view::npos) {
    return invalid_argument("the e-mail address has spaces or control characters");
  }
  if (std::any_of(address.begin(), address.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    return invalid_argument("the e-mail address is not ASCII (internationalised addresses cannot be mailed)");
  }
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return invalid_argument("the e-mail address has no '@' (expected local@domain)");
  const std::string_view local = address.substr(0, at);
  if (local.empty() || local.size() > kMaxLocalPartOctets) {
    return invalid_argument("the e-mail address's local part must have 1 to " + std::to_string(kMaxLocalPartOctets) +
                            " octets");
  }
  if (!is_dot_atom(local)) {
    return invalid_argument(
        "the e-mail address's local part is not a dot-atom (letters, digits and !#$%&'*+-/=?^_`{|}~, "
        "single dots between them; no quotes, brackets or second '@')");
  }
  if (!is_domain(address.substr(at + 1))) {
    return invalid_argument(
        "the e-mail address's domain is not a host name (labels of letters, digits and inner hyphens, "
        "at most 63 octets each, separated by single dots)");
  }
  return Status::ok();
}

Status check_message(const Message& m) {
  if (m.to.empty()) return invalid_argument("message has no recipient");
  if (m.to.size() > kMaxRecipients) return invalid_argument("message has more than 100 recipients");
  for (std::size_t i = 0; i < m.to.size(); ++i) {
    if (Status st = check_address(m.to[i]); !st) {
      return invalid_argument("recipient " + std::to_string(i + 1) + ": " + st.message());
    }
  }
  if (m.subject.size() > kMaxSubjectOctets) return invalid_argument("subject longer than 998 octets");
  if (!is_utf8(m.subject)) return invalid_argument("subject is not UTF-8");
  if (has_control(m.subject)) return invalid_argument("subject contains CR, LF or another control character");
  if (m.body.size() > kMaxBodyOctets) return invalid_argument("body larger than 10 MiB");
  if (!is_utf8(m.body)) return invalid_argument("body is not UTF-8");
  if (m.body.find('\0') != std::string::npos) return invalid_argument("body contains NUL");
  if (!m.message_id.empty()) XACBE_RETURN_IF_ERROR(check_message_id(m.message_id));
  return Status::ok();
}

std::string message_id_part(std::string_view identifier) {
  std::string out;
  for (const char c : identifier) {
    if (c == '.') {
      out.append("=2E");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string make_message_id(std::string_view from) {
  const std::size_t at = from.rfind('@');
  const std::string_view domain = at == std::string_view::npos ? std::string_view("localhost") : from.substr(at + 1);
  return crypto::to_hex(crypto::random_bytes(16)) + "@" + std::string(domain);
}

Result<std::string> render(const SmtpSettings& settings, const Message& m) {
  XACBE_RETURN_IF_ERROR(check_message(m));
  if (Status st = check_address(settings.from); !st) return invalid_argument("From address: " + st.message());
  if (!is_utf8(settings.from_name) || has_control(settings.from_name)) {
    return invalid_argument("From display name must be UTF-8 without control characters");
  }
  const std::string id = m.message_id.empty() ? make_message_id(settings.from) : m.message_id;
  std::string out;
  out += "Date: " + format_date(m.date.value_or(SystemClock().now())) + "\r\n";
  if (settings.from_name.empty()) {
    out += "From: " + settings.from + "\r\n";
  } else {
    const std::string name = display_name(settings.from_name);
    const std::string line = "From: " + name + " <" + settings.from + ">";
    const bool fold = name.find('\n') != std::string::npos || line.size() > kMaxLineLength;
    out += "From: " + name + (fold ? "\r\n <" : " <") + settings.from + ">\r\n";
  }
  out += to_header(m.to);
  out += "Subject: " + header_text(m.subject, 9) + "\r\n";
  out += "Message-ID: <" + id + ">\r\n";
  out += "Auto-Submitted: auto-generated\r\n";  // RFC 3834: no auto-replies to notifications
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  out += "\r\n";
  out += quoted_printable(m.body);
  return out;
}

Status send(const SmtpSettings& settings, const Message& message, std::stop_token stop) {
  XACBE_RETURN_IF_ERROR(check_settings(settings));
  XACBE_ASSIGN_OR_RETURN(const std::string text, render(settings, message));

  CurlPtr curl(curl_easy_init());
  if (!curl) return internal_error("libcurl: cannot create a handle");
  CurlListPtr recipients;
  for (const auto& to : message.to) {
    curl_slist* next = curl_slist_append(recipients.get(), ("<" + to + ">").c_str());
    if (next == nullptr) return internal_error("libcurl: out of memory");
    (void)recipients.release();
    recipients.reset(next);
  }
  const std::string mail_from = "<" + settings.from + ">";
  Upload upload{text};
  Dialog dialog;
  char error[CURL_ERROR_SIZE] = {};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, settings.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_callback);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text.size()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.total_timeout.count()));
  curl_easy_setopt(h, CURLOPT_USE_SSL,
                   settings.require_starttls ? static_cast<long>(CURLUSESSL_ALL) : static_cast<long>(CURLUSESSL_NONE));
  curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!settings.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, settings.ca_file.c_str());
  if (!settings.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, settings.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, settings.password.c_str());
  }
  // The debug callback only runs in verbose mode; it replaces libcurl's own printing.
  curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_callback);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, &dialog);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_callback);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &stop);

  const CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) return Status::ok();
  return classify(rc, dialog, error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(rc)));
}

}  // namespace xacbe::mail
