#pragma once
// Access levels (docs/protocol/access-levels.md): the CEIQROO keeps an ordered list of levels
// (lowest first; a level's rank is its position) and assigns a level to members and, where it
// chooses, to subsystems. A subsystem without a level of its own acts with its member's; a member
// without a level has none, below every level. The list and the assignments of the clients the
// global configuration lists are published in it ("access_levels"), where a provider's security
// server checks them against the minimum level it set for a service.
//
// Rules: a level code has the characters of a member code (1..64 of [A-Za-z0-9._-], not starting
// with '.' or '-'), a name the rule of a member's display name; at most kMaxAccessLevels levels,
// no code twice. A level still assigned cannot leave the list (kFailedPrecondition). A client
// gets a level only when it exists (the rule of a global group's client) and the level is listed.
//
// Every change, successful or refused, is in the membership's audit trail with its actor:
// "access-level.set-list" (target "access-levels", detail the codes in order),
// "access-level.assign" (target the client, detail "<old> -> <new>"), "access-level.clear"
// (target the client, detail the level it had).
// Not thread-safe: the owner serialises calls (the database connection is shared).

#include <optional>
#include <string>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/id/identifiers.hpp"
#include "membership.hpp"
#include "xacbe/result.hpp"

namespace xacbe::registry {

inline constexpr std::size_t kMaxAccessLevels = 32;

struct AccessLevelDefinition {
  std::string code;
  std::string name;
};

struct AccessLevelAssignment {
  id::ClientId client;
  std::string level;
  TimePoint set_at;
  std::string set_by;
};

class AccessLevels {
 public:
  // `db` has the registry schema; members, their states and the audit trail are `membership`'s.
  AccessLevels(store::Database& db, const Clock& clock, Membership& membership)
      : db_(db), clock_(clock), membership_(membership) {}

  // The list, lowest first.
  Result<std::vector<AccessLevelDefinition>> levels();
  // Replaces the list. Refusals: a bad code or name, a code twice, more than kMaxAccessLevels
  // kInvalidArgument; dropping a level still assigned kFailedPrecondition (naming it).
  Result<std::vector<AccessLevelDefinition>> set_levels(const std::string& actor,
                                                        const std::vector<AccessLevelDefinition>& levels);

  // Sets (or changes) the level of a member or subsystem. Refusals: a level not in the list
  // kInvalidArgument; an unknown client kNotFound; a member pending, rejected or terminated
  // kFailedPrecondition.
  Result<AccessLevelAssignment> assign(const std::string& actor, const id::ClientId& client, const std::string& level);
  // Removes the client's own level (a subsystem then acts with its member's). kNotFound when it
  // has none. Always possible otherwise (the client need not exist any more).
  Status clear(const std::string& actor, const id::ClientId& client);

  // Every assignment, in identifier order.
  Result<std::vector<AccessLevelAssignment>> assignments();

 private:
  store::Database& db_;
  const Clock& clock_;
  Membership& membership_;
};

}  // namespace xacbe::registry
