#pragma once
// Global groups (ARCHITECTURE.md, "Global configuration"): named sets of members and subsystems
// that a provider can grant access to at once. The registry keeps them and publishes each one in
// the global configuration with those of its clients the document lists (members in good
// standing, their current subsystems); a suspended member stays in its groups and reappears in
// the published group when it is reactivated.
//
// A group code has the characters of a member code: 1..64 of [A-Za-z0-9._-], not starting with
// '.' or '-'. A client added to a group must exist in the registry: a member admitted and not
// terminated (active, suspended or terminating), or a current subsystem.
//
// Every operation, successful or refused, is written to the membership's audit trail with its
// actor: "global-group.create", "global-group.delete", "global-group.add-member",
// "global-group.remove-member", with the group code as target.
// Not thread-safe: the owner serialises calls (the database connection is shared).

#include <string>
#include <string_view>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/id/identifiers.hpp"
#include "membership.hpp"
#include "xacbe/result.hpp"

namespace xacbe::registry {

// Whether `code` may name a global group (the member-code rule above).
bool is_global_group_code(std::string_view code);

// Whether `client` exists in the registry as a global group or an access level needs it: a
// member admitted and not terminated (active, suspended or terminating; kNotFound when unknown,
// kFailedPrecondition otherwise), or a current subsystem (kNotFound when there is none).
// `purpose` ends the refusal: "... only an admitted member (...) can <purpose>".
Status check_registered_client(store::Database& db, Membership& membership, const id::ClientId& client,
                               std::string_view purpose);

struct GlobalGroupMember {
  id::ClientId client;
  TimePoint added_at;
  std::string added_by;
};

struct GlobalGroupRecord {
  std::string code;
  std::string description;  // 1..1024 bytes, no control characters
  TimePoint created_at;
  std::string created_by;
  std::vector<GlobalGroupMember> members;  // in identifier order
};

class GlobalGroups {
 public:
  // `db` has the registry schema; members and their states are `membership`'s, and so is the
  // audit trail. All must outlive this.
  GlobalGroups(store::Database& db, const Clock& clock, Membership& membership)
      : db_(db), clock_(clock), membership_(membership) {}

  // Refusals: bad code or description kInvalidArgument; a group with that code kAlreadyExists.
  Result<GlobalGroupRecord> create(const std::string& actor, const std::string& code, const std::string& description);
  // Deletes the group and its membership list (the audit trail keeps the history).
  // Unknown group kNotFound.
  Status delete_group(const std::string& actor, const std::string& code);
  // Unknown group kNotFound; unknown member or no current subsystem kNotFound; a member pending,
  // rejected or terminated kFailedPrecondition; a client already in the group kAlreadyExists.
  Result<GlobalGroupRecord> add_member(const std::string& actor, const std::string& code, const id::ClientId& client);
  // Unknown group, or a client not in it, kNotFound. Always possible otherwise (the client
  // need not exist any more).
  Result<GlobalGroupRecord> remove_member(const std::string& actor, const std::string& code,
                                          const id::ClientId& client);

  // Every group with its members, in code order.
  Result<std::vector<GlobalGroupRecord>> list();
  // Unknown group kNotFound.
  Result<GlobalGroupRecord> group(const std::string& code);

 private:
  Status check_client(const id::ClientId& client);

  store::Database& db_;
  const Clock& clock_;
  Membership& membership_;
};

}  // namespace xacbe::registry
