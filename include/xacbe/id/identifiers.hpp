#pragma once
// Identifiers of the Xacbe trust model (docs ARCHITECTURE.md, "Identifiers"):
//   member            INSTANCE/CLASS/CODE                          e.g. QROO/FED/PGJ
//   subsystem         INSTANCE/CLASS/CODE/SUBSYSTEM                e.g. QROO/EST/SEFIPLAN/NOMINA
//   service           INSTANCE/CLASS/CODE/SUBSYSTEM/SERVICE[/VERSION]
//   security server   INSTANCE/CLASS/CODE/SERVERCODE               (owner member + server code)
//   client            a member or a subsystem (3 or 4 parts)
//
// Parsing is strict, because identifiers decide access and end up in file names, SQL rows and
// signed messages; input is never guessed at or normalised (no upper-casing, no trimming):
//   - parts are separated by '/'; the number of parts must be exactly the one of the form;
//   - no empty part, no leading or trailing '/';
//   - no whitespace and no control characters anywhere (including NUL);
//   - instance:      [A-Z][A-Z0-9-]{0,31}          e.g. QROO, QROO-TEST
//   - member class:  [A-Z][A-Z0-9]{0,15}           e.g. FED, EST, MUN
//   - member code, subsystem code, server code, service code and service version:
//                    1..64 characters from [A-Za-z0-9._-], not starting with '.' or '-'
//     (so "." and ".." path tricks are impossible and no part looks like an option).
// Every refusal is Code::kInvalidArgument with a message that names the offending part and the
// expected form, e.g. "invalid member class 'fed' in 'QROO/fed/PGJ': expected upper-case letters
// and digits ...". Non-printable bytes are shown escaped (\xHH) in messages.
//
// The types are immutable values that are valid by construction: the only ways to get one are
// parse() and create(), which apply the rules above. to_string() gives the canonical form, and
// parse(x.to_string()) == x. Ordering is part by part (a member sorts before its subsystems).

#include <compare>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "xacbe/result.hpp"

namespace xacbe::id {

class MemberId {
 public:
  static Result<MemberId> parse(std::string_view text);
  static Result<MemberId> create(std::string_view instance, std::string_view member_class,
                                 std::string_view code);

  const std::string& instance() const { return instance_; }
  const std::string& member_class() const { return member_class_; }
  const std::string& code() const { return code_; }
  std::string to_string() const;
  std::size_t hash() const noexcept;

  friend bool operator==(const MemberId&, const MemberId&) = default;
  friend std::strong_ordering operator<=>(const MemberId&, const MemberId&) = default;

 private:
  MemberId(std::string instance, std::string member_class, std::string code);
  std::string instance_;
  std::string member_class_;
  std::string code_;
};

// An information system of a member.
class SubsystemId {
 public:
  static Result<SubsystemId> parse(std::string_view text);
  static Result<SubsystemId> create(MemberId member, std::string_view subsystem);

  const MemberId& member() const { return member_; }
  const std::string& subsystem() const { return subsystem_; }
  std::string to_string() const;
  std::size_t hash() const noexcept;

  friend bool operator==(const SubsystemId&, const SubsystemId&) = default;
  friend std::strong_ordering operator<=>(const SubsystemId&, const SubsystemId&) = default;

 private:
  SubsystemId(MemberId member, std::string subsystem);
  MemberId member_;
  std::string subsystem_;
};

// A service offered by a subsystem; without a version it names every version of the service.
class ServiceId {
 public:
  static Result<ServiceId> parse(std::string_view text);
  static Result<ServiceId> create(SubsystemId subsystem, std::string_view service,
                                  std::optional<std::string_view> version = std::nullopt);

  const SubsystemId& subsystem() const { return subsystem_; }
  const std::string& service() const { return service_; }
  const std::optional<std::string>& version() const { return version_; }
  std::string to_string() const;
  std::size_t hash() const noexcept;

  friend bool operator==(const ServiceId&, const ServiceId&) = default;
  friend std::strong_ordering operator<=>(const ServiceId&, const ServiceId&) = default;

 private:
  ServiceId(SubsystemId subsystem, std::string service, std::optional<std::string> version);
  SubsystemId subsystem_;
  std::string service_;
  std::optional<std::string> version_;
};

// A security server: its owner member and a server code unique within that member.
class SecurityServerId {
 public:
  static Result<SecurityServerId> parse(std::string_view text);
  static Result<SecurityServerId> create(MemberId owner, std::string_view server_code);

  const MemberId& owner() const { return owner_; }
  const std::string& server_code() const { return server_code_; }
  std::string to_string() const;
  std::size_t hash() const noexcept;

  friend bool operator==(const SecurityServerId&, const SecurityServerId&) = default;
  friend std::strong_ordering operator<=>(const SecurityServerId&, const SecurityServerId&) = default;

 private:
  SecurityServerId(MemberId owner, std::string server_code);
  MemberId owner_;
  std::string server_code_;
};

// The party on whose behalf a message is sent: a member itself (3 parts) or one of its
// subsystems (4 parts).
class ClientId {
 public:
  static Result<ClientId> parse(std::string_view text);
  // A member or a subsystem is a client; the conversions cannot fail.
  ClientId(MemberId member) : member_(std::move(member)) {}  // NOLINT(google-explicit-constructor)
  ClientId(SubsystemId subsystem)                            // NOLINT(google-explicit-constructor)
      : member_(subsystem.member()), subsystem_(subsystem.subsystem()) {}

  const MemberId& member() const { return member_; }
  bool is_subsystem() const { return subsystem_.has_value(); }
  // The subsystem, or nullopt when the client is the member itself.
  std::optional<SubsystemId> subsystem() const;
  std::string to_string() const;
  std::size_t hash() const noexcept;

  friend bool operator==(const ClientId&, const ClientId&) = default;
  friend std::strong_ordering operator<=>(const ClientId&, const ClientId&) = default;

 private:
  MemberId member_;
  std::optional<std::string> subsystem_;  // a valid subsystem code when set
};

// Canonical form, so that test failures and log lines print identifiers readably.
std::ostream& operator<<(std::ostream& out, const MemberId& id);
std::ostream& operator<<(std::ostream& out, const SubsystemId& id);
std::ostream& operator<<(std::ostream& out, const ServiceId& id);
std::ostream& operator<<(std::ostream& out, const SecurityServerId& id);
std::ostream& operator<<(std::ostream& out, const ClientId& id);

}  // namespace xacbe::id

template <>
struct std::hash<xacbe::id::MemberId> {
  std::size_t operator()(const xacbe::id::MemberId& id) const noexcept { return id.hash(); }
};
template <>
struct std::hash<xacbe::id::SubsystemId> {
  std::size_t operator()(const xacbe::id::SubsystemId& id) const noexcept { return id.hash(); }
};
template <>
struct std::hash<xacbe::id::ServiceId> {
  std::size_t operator()(const xacbe::id::ServiceId& id) const noexcept { return id.hash(); }
};
template <>
struct std::hash<xacbe::id::SecurityServerId> {
  std::size_t operator()(const xacbe::id::SecurityServerId& id) const noexcept { return id.hash(); }
};
template <>
struct std::hash<xacbe::id::ClientId> {
  std::size_t operator()(const xacbe::id::ClientId& id) const noexcept { return id.hash(); }
};
