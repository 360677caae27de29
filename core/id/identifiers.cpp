#include "xacbe/id/identifiers.hpp"

#include <array>
#include <cstdio>
#include <ostream>

namespace xacbe::id {
namespace {

// ---- Parts and their rules (see the header comment) -------------------------------------------

enum class Charset { kInstance, kMemberClass, kCode };

struct PartRule {
  const char* role;  // how messages name the part
  Charset charset;
  std::size_t max_length;
  const char* expected;
};

constexpr PartRule kInstance{"instance", Charset::kInstance, 32,
                             "expected upper-case letters, digits and '-', starting with a letter, "
                             "at most 32 characters (e.g. QROO, QROO-TEST)"};
constexpr PartRule kMemberClass{"member class", Charset::kMemberClass, 16,
                                "expected upper-case letters and digits, starting with a letter, "
                                "at most 16 characters (e.g. FED, EST, MUN)"};
constexpr const char* kCodeExpected =
    "expected 1 to 64 characters from A-Z a-z 0-9 . _ -, not starting with '.' or '-'";
constexpr PartRule kMemberCode{"member code", Charset::kCode, 64, kCodeExpected};
constexpr PartRule kSubsystemCode{"subsystem code", Charset::kCode, 64, kCodeExpected};
constexpr PartRule kServerCode{"server code", Charset::kCode, 64, kCodeExpected};
constexpr PartRule kServiceCode{"service code", Charset::kCode, 64, kCodeExpected};
constexpr PartRule kServiceVersion{"service version", Charset::kCode, 64, kCodeExpected};

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool allowed(Charset charset, char c, bool first) {
  switch (charset) {
    case Charset::kInstance: return is_upper(c) || (!first && (is_digit(c) || c == '-'));
    case Charset::kMemberClass: return is_upper(c) || (!first && is_digit(c));
    case Charset::kCode:
      return is_upper(c) || is_lower(c) || is_digit(c) || c == '_' || (!first && (c == '.' || c == '-'));
  }
  return false;
}

// Input is echoed into messages (and so into logs): escape what is not printable ASCII and cut
// what is long, so a message can neither forge log lines nor grow without bound.
std::string printable(std::string_view text) {
  constexpr std::size_t kMaxEcho = 120;
  std::string out;
  for (unsigned char c : text.substr(0, kMaxEcho)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(c));
      out += buf;
    }
  }
  if (text.size() > kMaxEcho) out += "...";
  return out;
}

// Why `value` is not a valid part of kind `rule`, or nullopt when it is.
std::optional<std::string> defect(const PartRule& rule, std::string_view value) {
  if (value.empty()) return std::string("empty; ") + rule.expected;
  for (unsigned char c : value) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      return std::string("contains whitespace; ") + rule.expected;
    }
    if (c < 0x20 || c == 0x7f) return std::string("contains a control character; ") + rule.expected;
    if (c >= 0x80) return std::string("contains a non-ASCII character; ") + rule.expected;
  }
  if (value.size() > rule.max_length) {
    return "too long (" + std::to_string(value.size()) + " bytes); " + rule.expected;
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!allowed(rule.charset, value[i], i == 0)) return std::string(rule.expected);
  }
  return std::nullopt;
}

// `input` is the whole identifier being parsed, or empty when the part was given on its own.
Status check(const PartRule& rule, std::string_view value, std::string_view input = {}) {
  auto why = defect(rule, value);
  if (!why) return Status::ok();
  std::string message = std::string("invalid ") + rule.role + " '" + printable(value) + "'";
  if (!input.empty()) message += " in '" + printable(input) + "'";
  return invalid_argument(message + ": " + *why);
}

// ---- Whole identifiers --------------------------------------------------------------------------

struct Form {
  const char* kind;     // "member", ...
  const char* pattern;  // "INSTANCE/CLASS/CODE", ...
  std::size_t min_parts;
  std::size_t max_parts;
};

constexpr Form kMemberForm{"member", "INSTANCE/CLASS/CODE", 3, 3};
constexpr Form kSubsystemForm{"subsystem", "INSTANCE/CLASS/CODE/SUBSYSTEM", 4, 4};
constexpr Form kServiceForm{"service", "INSTANCE/CLASS/CODE/SUBSYSTEM/SERVICE[/VERSION]", 5, 6};
constexpr Form kServerForm{"security server", "INSTANCE/CLASS/CODE/SERVERCODE", 4, 4};
constexpr Form kClientForm{"client", "INSTANCE/CLASS/CODE[/SUBSYSTEM]", 3, 4};
constexpr std::size_t kMaxParts = 6;

struct Parts {
  std::array<std::string_view, kMaxParts> at{};
  std::size_t size = 0;
  std::string_view operator[](std::size_t i) const { return at[i]; }
};

std::string parts_expected(const Form& form) {
  if (form.min_parts == form.max_parts) return std::to_string(form.min_parts) + " parts";
  return std::to_string(form.min_parts) + " or " + std::to_string(form.max_parts) + " parts";
}

// Splits `text` on '/' after the checks that do not depend on which part is which.
Result<Parts> split(std::string_view text, const Form& form) {
  const std::string expected = std::string("expected ") + form.pattern + " (" + parts_expected(form) + ")";
  if (text.empty()) return invalid_argument(std::string("empty ") + form.kind + " identifier: " + expected);
  const std::string head = std::string("invalid ") + form.kind + " identifier '" + printable(text) + "': ";
  if (text.front() == '/') return invalid_argument(head + "leading '/'; " + expected);
  if (text.back() == '/') return invalid_argument(head + "trailing '/'; " + expected);
  std::size_t count = 1;
  for (char c : text) count += (c == '/') ? 1 : 0;
  if (count < form.min_parts || count > form.max_parts) {
    return invalid_argument(head + std::to_string(count) + " parts; " + expected);
  }
  Parts parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t slash = text.find('/', start);
    const std::size_t end = (slash == std::string_view::npos) ? text.size() : slash;
    parts.at[i] = text.substr(start, end - start);
    start = end + 1;
  }
  parts.size = count;
  return parts;
}

Status check_member(std::string_view instance, std::string_view member_class, std::string_view code,
                    std::string_view input = {}) {
  XACBE_RETURN_IF_ERROR(check(kInstance, instance, input));
  XACBE_RETURN_IF_ERROR(check(kMemberClass, member_class, input));
  return check(kMemberCode, code, input);
}

// Boost's hash_combine.
std::size_t combine(std::size_t seed, std::string_view part) noexcept {
  return seed ^ (std::hash<std::string_view>{}(part) + static_cast<std::size_t>(0x9e3779b97f4a7c15ULL) +
                 (seed << 6) + (seed >> 2));
}

}  // namespace

// ---- MemberId -----------------------------------------------------------------------------------

MemberId::MemberId(std::string instance, std::string member_class, std::string code)
    : instance_(std::move(instance)), member_class_(std::move(member_class)), code_(std::move(code)) {}

Result<MemberId> MemberId::parse(std::string_view text) {
  XACBE_ASSIGN_OR_RETURN(Parts p, split(text, kMemberForm));
  XACBE_RETURN_IF_ERROR(check_member(p[0], p[1], p[2], text));
  return MemberId(std::string(p[0]), std::string(p[1]), std::string(p[2]));
}

Result<MemberId> MemberId::create(std::string_view instance, std::string_view member_class,
                                  std::string_view code) {
  XACBE_RETURN_IF_ERROR(check_member(instance, member_class, code));
  return MemberId(std::string(instance), std::string(member_class), std::string(code));
}

std::string MemberId::to_string() const { return instance_ + '/' + member_class_ + '/' + code_; }

std::size_t MemberId::hash() const noexcept {
  return combine(combine(combine(0, instance_), member_class_), code_);
}

// ---- SubsystemId --------------------------------------------------------------------------------

SubsystemId::SubsystemId(MemberId member, std::string subsystem)
    : member_(std::move(member)), subsystem_(std::move(subsystem)) {}

Result<SubsystemId> SubsystemId::parse(std::string_view text) {
  XACBE_ASSIGN_OR_RETURN(Parts p, split(text, kSubsystemForm));
  XACBE_RETURN_IF_ERROR(check_member(p[0], p[1], p[2], text));
  XACBE_RETURN_IF_ERROR(check(kSubsystemCode, p[3], text));
  return SubsystemId(MemberId::create(p[0], p[1], p[2]).value(), std::string(p[3]));
}

Result<SubsystemId> SubsystemId::create(MemberId member, std::string_view subsystem) {
  XACBE_RETURN_IF_ERROR(check(kSubsystemCode, subsystem));
  return SubsystemId(std::move(member), std::string(subsystem));
}

std::string SubsystemId::to_string() const { return member_.to_string() + '/' + subsystem_; }

std::size_t SubsystemId::hash() const noexcept { return combine(member_.hash(), subsystem_); }

// ---- ServiceId ----------------------------------------------------------------------------------

ServiceId::ServiceId(SubsystemId subsystem, std::string service, std::optional<std::string> version)
    : subsystem_(std::move(subsystem)), service_(std::move(service)), version_(std::move(version)) {}

Result<ServiceId> ServiceId::parse(std::string_view text) {
  XACBE_ASSIGN_OR_RETURN(Parts p, split(text, kServiceForm));
  XACBE_RETURN_IF_ERROR(check_member(p[0], p[1], p[2], text));
  XACBE_RETURN_IF_ERROR(check(kSubsystemCode, p[3], text));
  XACBE_RETURN_IF_ERROR(check(kServiceCode, p[4], text));
  std::optional<std::string> version;
  if (p.size == 6) {
    XACBE_RETURN_IF_ERROR(check(kServiceVersion, p[5], text));
    version = std::string(p[5]);
  }
  SubsystemId subsystem = SubsystemId::create(MemberId::create(p[0], p[1], p[2]).value(), p[3]).value();
  return ServiceId(std::move(subsystem), std::string(p[4]), std::move(version));
}

Result<ServiceId> ServiceId::create(SubsystemId subsystem, std::string_view service,
                                    std::optional<std::string_view> version) {
  XACBE_RETURN_IF_ERROR(check(kServiceCode, service));
  if (version) {
    XACBE_RETURN_IF_ERROR(check(kServiceVersion, *version));
  }
  return ServiceId(std::move(subsystem), std::string(service),
                   version ? std::optional<std::string>(std::string(*version)) : std::nullopt);
}

std::string ServiceId::to_string() const {
  std::string out = subsystem_.to_string() + '/' + service_;
  if (version_) out += '/' + *version_;
  return out;
}

// An absent version hashes as "", which no present (non-empty) version equals.
std::size_t ServiceId::hash() const noexcept {
  return combine(combine(subsystem_.hash(), service_), version_ ? std::string_view(*version_) : "");
}

// ---- SecurityServerId ---------------------------------------------------------------------------

SecurityServerId::SecurityServerId(MemberId owner, std::string server_code)
    : owner_(std::move(owner)), server_code_(std::move(server_code)) {}

Result<SecurityServerId> SecurityServerId::parse(std::string_view text) {
  XACBE_ASSIGN_OR_RETURN(Parts p, split(text, kServerForm));
  XACBE_RETURN_IF_ERROR(check_member(p[0], p[1], p[2], text));
  XACBE_RETURN_IF_ERROR(check(kServerCode, p[3], text));
  return SecurityServerId(MemberId::create(p[0], p[1], p[2]).value(), std::string(p[3]));
}

Result<SecurityServerId> SecurityServerId::create(MemberId owner, std::string_view server_code) {
  XACBE_RETURN_IF_ERROR(check(kServerCode, server_code));
  return SecurityServerId(std::move(owner), std::string(server_code));
}

std::string SecurityServerId::to_string() const { return owner_.to_string() + '/' + server_code_; }

std::size_t SecurityServerId::hash() const noexcept { return combine(owner_.hash(), server_code_); }

// ---- ClientId -----------------------------------------------------------------------------------

Result<ClientId> ClientId::parse(std::string_view text) {
  XACBE_ASSIGN_OR_RETURN(Parts p, split(text, kClientForm));
  XACBE_RETURN_IF_ERROR(check_member(p[0], p[1], p[2], text));
  MemberId member = MemberId::create(p[0], p[1], p[2]).value();
  if (p.size == 3) return ClientId(std::move(member));
  XACBE_RETURN_IF_ERROR(check(kSubsystemCode, p[3], text));
  return ClientId(SubsystemId::create(std::move(member), p[3]).value());
}

std::optional<SubsystemId> ClientId::subsystem() const {
  if (!subsystem_) return std::nullopt;
  return SubsystemId::create(member_, *subsystem_).value();
}

std::string ClientId::to_string() const {
  return subsystem_ ? member_.to_string() + '/' + *subsystem_ : member_.to_string();
}

std::size_t ClientId::hash() const noexcept {
  return combine(member_.hash(), subsystem_ ? std::string_view(*subsystem_) : "");
}

// ---- Printing -----------------------------------------------------------------------------------

std::ostream& operator<<(std::ostream& out, const MemberId& id) { return out << id.to_string(); }
std::ostream& operator<<(std::ostream& out, const SubsystemId& id) { return out << id.to_string(); }
std::ostream& operator<<(std::ostream& out, const ServiceId& id) { return out << id.to_string(); }
std::ostream& operator<<(std::ostream& out, const SecurityServerId& id) { return out << id.to_string(); }
std::ostream& operator<<(std::ostream& out, const ClientId& id) { return out << id.to_string(); }

}  // namespace xacbe::id
