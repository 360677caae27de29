#include "registry_commands.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "admin_client.hpp"
#include "statistics_commands.hpp"
#include "terminal.hpp"
#include "xacbe/file.hpp"
#include "xacbe/id/identifiers.hpp"

namespace xacbe::tools {
namespace {

using Json = nlohmann::json;

// A member's path, /api/v1/members/INSTANCE/CLASS/CODE then `action`. MemberId::parse allows only
// [A-Za-z0-9._-] in a part and no "." or ".." part, so nothing needs percent-encoding.
Result<std::string> member_target(const std::string& text, const std::string& action = {}) {
  XACBE_ASSIGN_OR_RETURN(id::MemberId id, id::MemberId::parse(text));
  return "/api/v1/members/" + id.instance() + "/" + id.member_class() + "/" + id.code() + action;
}

// Member ids are checked as they are parsed: a malformed one is a usage error and nothing is sent.
const CLI::Validator kMemberId = tools::identifier<id::MemberId>("INSTANCE/CLASS/CODE");

// A security server's id, INSTANCE/CLASS/CODE/SERVERCODE, checked like a member id. Its parts
// have the member id's characters, so it too goes into a path as it stands.
const CLI::Validator kServerId = tools::identifier<id::SecurityServerId>("INSTANCE/CLASS/CODE/SERVERCODE");

// A service's id, INSTANCE/CLASS/CODE/SUBSYSTEM/SERVICE[/VERSION].
const CLI::Validator kServiceId = tools::identifier<id::ServiceId>("SERVICE_ID");

// A subsystem code of `member`, checked in the callback since the rule takes the member too: a
// malformed one is a usage error (exit 2) and nothing is sent.
void check_subsystem_code(const std::string& member, const std::string& code, const std::string& option) {
  auto owner = id::MemberId::parse(member);
  if (!owner) throw CLI::ValidationError(option, owner.status().message());
  auto subsystem = id::SubsystemId::create(*owner, code);
  if (!subsystem) throw CLI::ValidationError(option, subsystem.status().message());
}

// What CLI11 fills in while parsing and the callbacks read; only one subcommand runs.
struct Arguments {
  Connection connection;
  std::string member, state, reason, basis, effective, comment, file;
  std::string kind, subject, body_file, severity, description, occurred_at, text;
  std::string server, code, name, email, phone, role, service, purpose, reference, version, published_at;
  std::string number, after, limit;  // checked by kNumber
  std::vector<std::string> members, levels;
  bool undecided = false, all_active = false, close = false;
};

void add_member_commands(CLI::App& registry, Arguments& a, int& exit_code) {
  auto* members = registry.add_subcommand("members", "list members");
  members->add_option("--state", a.state,
                      "only members in this state: pending, active, suspended, terminating, terminated, rejected");
  members->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      return get("/api/v1/members" + (a.state.empty() ? "" : "?state=" + query_value(a.state)));
    });
  });

  auto* member = registry.add_subcommand("member", "one member")->require_subcommand(1);
  const auto add_id = [&a](CLI::App* command) {
    command->add_option("id", a.member, "member id")->required()->check(kMemberId);
  };
  auto* show = member->add_subcommand("show", "show a member and the certificates linked to it");
  add_id(show);
  show->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      XACBE_ASSIGN_OR_RETURN(std::string target, member_target(a.member));
      return get(std::move(target));
    });
  });
  for (const std::string action : {"suspend", "reactivate"}) {
    auto* command = member->add_subcommand(
        action, action == "suspend" ? "suspend an active or terminating member" : "reactivate a suspended member");
    add_id(command);
    command->add_option("--reason", a.reason, "why, for the audit trail")->required();
    command->callback([&a, &exit_code, action] {
      exit_code = run(a.connection, [&a, action]() -> Result<ApiRequest> {
        XACBE_ASSIGN_OR_RETURN(std::string target, member_target(a.member, "/" + action));
        return post(std::move(target), {{"reason", a.reason}});
      });
    });
  }
  // The contacts the application named, as corrected; the history of corrections comes with them.
  auto* contacts = member->add_subcommand("contacts", "show a member's contacts and their corrections");
  add_id(contacts);
  contacts->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      XACBE_ASSIGN_OR_RETURN(std::string target, member_target(a.member, "/contacts"));
      return get(std::move(target));
    });
  });
  auto* correct = member->add_subcommand("correct-contact", "replace one of a member's contacts (audited, kept)");
  add_id(correct);
  correct->add_option("--role", a.role, "responsible, administrator or liaison (receives the notifications)")
      ->required()
      ->check(CLI::IsMember({"responsible", "administrator", "liaison"}));
  correct->add_option("--name", a.name, "the person's name")->required();
  correct->add_option("--email", a.email, "the person's e-mail address")->required();
  auto* phone = correct->add_option("--phone", a.phone, "the person's phone; required but for the liaison");
  correct->add_option("--reason", a.reason, "why, for the audit trail and the history")->required();
  correct->callback([&a, &exit_code, phone] {
    exit_code = run(a.connection, [&a, phone]() -> Result<ApiRequest> {
      XACBE_ASSIGN_OR_RETURN(std::string target, member_target(a.member, "/contacts"));
      Json person = {{"name", a.name}, {"email", a.email}};
      if (phone->count() > 0) person["phone"] = a.phone;
      return post(std::move(target), {{a.role, person}, {"reason", a.reason}});
    });
  });
  auto* terminate = member->add_subcommand("terminate", "start a member's termination");
  add_id(terminate);
  terminate->add_option("--basis", a.basis, "member-request or ceiqroo-notice")
      ->required()
      ->check(CLI::IsMember({"member-request", "ceiqroo-notice"}));
  auto* effective = terminate->add_option("--effective", a.effective, "YYYY-MM-DD; required for ceiqroo-notice");
  auto* reason = terminate->add_option("--reason", a.reason, "required for ceiqroo-notice");
  terminate->callback([&a, &exit_code, effective, reason] {
    exit_code = run(a.connection, [&a, effective, reason]() -> Result<ApiRequest> {
      XACBE_ASSIGN_OR_RETURN(std::string target, member_target(a.member, "/termination"));
      Json body = {{"basis", a.basis}};
      if (effective->count() > 0) body["effective"] = a.effective;
      if (reason->count() > 0) body["reason"] = a.reason;
      return post(std::move(target), body);
    });
  });
}

void add_application_commands(CLI::App& registry, Arguments& a, int& exit_code) {
  auto* list = registry.add_subcommand("applications", "list applications for membership, oldest first");
  list->add_flag("--undecided", a.undecided, "only those without a decision");
  list->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      return get(std::string("/api/v1/applications") + (a.undecided ? "?undecided=true" : ""));
    });
  });

  auto* application = registry.add_subcommand("application", "one application")->require_subcommand(1);
  auto* submit = application->add_subcommand("submit", "submit an application for membership");
  submit->add_option("--file", a.file, "the application (JSON, as the API document's ApplicationRequest)")->required();
  submit->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      // Sent as written: the registry's strict parser judges it (repeated keys, unknown fields).
      XACBE_ASSIGN_OR_RETURN(std::string body, read_file(a.file));
      return ApiRequest{"POST", "/api/v1/applications", std::move(body)};
    });
  });
  for (const std::string action : {"show", "admit", "reject"}) {
    auto* command = application->add_subcommand(action, action == "show"    ? "show an application"
                                                        : action == "admit" ? "admit an application"
                                                                            : "reject an application");
    command->add_option("id", a.number, "application id")->required()->check(kNumber);
    if (action == "reject") {
      command
          ->add_option("--reason", a.reason,
                       "no-right-of-representation, information-missing-or-outdated or requirements-not-met")
          ->required();
    }
    auto* comment = action == "reject" ? command->add_option("--comment", a.comment, "for the applicant") : nullptr;
    command->callback([&a, &exit_code, action, comment] {
      exit_code = run(a.connection, [&a, action, comment]() -> Result<ApiRequest> {
        const std::string target = "/api/v1/applications/" + a.number;
        if (action == "show") return get(target);
        if (action == "admit") return post_without_body(target + "/admit");
        Json body = {{"reason", a.reason}};
        if (comment->count() > 0) body["comment"] = a.comment;
        return post(target + "/reject", body);
      });
    });
  }

  auto* terminations = registry.add_subcommand("terminations", "terminations")->require_subcommand(1);
  terminations->add_subcommand("complete", "terminate every member whose termination date has come")
      ->callback([&a, &exit_code] {
        exit_code = run(a.connection, [] { return post_without_body("/api/v1/terminations/complete"); });
      });
}

void add_notification_commands(CLI::App& registry, Arguments& a, int& exit_code) {
  // GET /api/v1/notifications and /api/v1/incidents, optionally for one member.
  for (const std::string what : {"notifications", "incidents"}) {
    auto* list = registry.add_subcommand(what, "list " + what);
    auto* member = list->add_option("--member", a.member, "only those of this member")->check(kMemberId);
    list->callback([&a, &exit_code, what, member] {
      exit_code = run(a.connection, [&a, what, member]() -> Result<ApiRequest> {
        // A checked member id is a valid query value as it stands (RFC 3986 3.4 allows '/').
        return get("/api/v1/" + what + (member->count() > 0 ? "?member=" + a.member : ""));
      });
    });
  }

  auto* notify = registry.add_subcommand("notify", "send a notification to members");
  notify->add_option("--kind", a.kind, "planned-change, extraordinary-change, protocol-change or termination")
      ->required();
  notify->add_option("--subject", a.subject, "subject line")->required();
  notify->add_option("--body-file", a.body_file, "file holding the text of the notification (UTF-8)")->required();
  notify->add_option("--effective", a.effective, "effective date YYYY-MM-DD")->required();
  auto* audience = notify->add_option_group("audience", "who receives it: exactly one of these");
  audience->add_flag("--all-active", a.all_active, "every active member");
  audience->add_option("--member", a.members, "these members (repeatable)")->check(kMemberId);
  audience->require_option(1);
  notify->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      XACBE_ASSIGN_OR_RETURN(std::string text, read_file(a.body_file));
      const Json audience = a.all_active ? Json("all-active") : Json(a.members);
      return post("/api/v1/notifications", {{"kind", a.kind},
                                            {"subject", a.subject},
                                            {"body", text},
                                            {"effective", a.effective},
                                            {"audience", audience}});
    });
  });

  auto* acknowledge = registry.add_subcommand("acknowledge", "record a member's acknowledgement of a notification");
  acknowledge->add_option("id", a.number, "notification id")->required()->check(kNumber);
  acknowledge->add_option("--member", a.member, "the member acknowledging")->required()->check(kMemberId);
  acknowledge->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      return post("/api/v1/notifications/" + a.number + "/acknowledgements", {{"member", a.member}});
    });
  });

  // A failed delivery of a notification to one member: send it again (to the liaison's current
  // address) or give it up.
  auto* delivery =
      registry.add_subcommand("delivery", "a notification's failed delivery to one member")->require_subcommand(1);
  for (const std::string action : {"retry", "cancel"}) {
    auto* command = delivery->add_subcommand(
        action, action == "retry" ? "send a failed delivery again, to the liaison's current address"
                                  : "give a failed delivery up for good");
    command->add_option("id", a.number, "notification id")->required()->check(kNumber);
    command->add_option("--member", a.member, "the member the delivery is for")->required()->check(kMemberId);
    if (action == "cancel") command->add_option("--reason", a.reason, "why, for the audit trail")->required();
    command->callback([&a, &exit_code, action] {
      exit_code = run(a.connection, [&a, action]() -> Result<ApiRequest> {
        XACBE_ASSIGN_OR_RETURN(id::MemberId member, id::MemberId::parse(a.member));
        // A checked member id's parts go into a path as they stand (see member_target).
        const std::string target = "/api/v1/notifications/" + a.number + "/deliveries/" + member.instance() + "/" +
                                   member.member_class() + "/" + member.code() + "/" + action;
        if (action == "retry") return post_without_body(target);
        return post(target, {{"reason", a.reason}});
      });
    });
  }

  auto* incident = registry.add_subcommand("incident", "security incidents")->require_subcommand(1);
  auto* report = incident->add_subcommand("report", "report a security incident of a member");
  report->add_option("--member", a.member, "the member concerned")->required()->check(kMemberId);
  report->add_option("--severity", a.severity, "low, medium, high or critical")->required();
  report->add_option("--description", a.description, "what happened")->required();
  report->add_option("--occurred-at", a.occurred_at, "when, UTC: YYYY-MM-DDTHH:MM:SSZ")->required();
  report->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      return post("/api/v1/incidents", {{"member", a.member},
                                        {"severity", a.severity},
                                        {"description", a.description},
                                        {"occurred_at", a.occurred_at}});
    });
  });
  auto* follow_up = incident->add_subcommand("follow-up", "add a follow-up to an incident");
  follow_up->add_option("id", a.number, "incident id")->required()->check(kNumber);
  follow_up->add_option("--text", a.text, "the follow-up")->required();
  follow_up->add_flag("--close", a.close, "and close the incident");
  follow_up->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      return post("/api/v1/incidents/" + a.number + "/follow-ups", {{"text", a.text}, {"close", a.close}});
    });
  });
}

// "<name> MEMBER": GET /api/v1/members/{id}<path>, a member's records of one kind.
void add_record_list(CLI::App& registry, Arguments& a, int& exit_code, const std::string& name, const std::string& path,
                     const std::string& what) {
  auto* list = registry.add_subcommand(name, "list a member's " + what);
  list->add_option("member", a.member, "member id")->required()->check(kMemberId);
  list->callback([&a, &exit_code, path] {
    exit_code = run(a.connection, [&a, path]() -> Result<ApiRequest> {
      XACBE_ASSIGN_OR_RETURN(std::string target, member_target(a.member, path));
      return get(std::move(target));
    });
  });
}

// A subcommand of `parent` that acts on one record of a member.
CLI::App* add_record_command(CLI::App& parent, Arguments& a, const std::string& name, const std::string& help) {
  auto* command = parent.add_subcommand(name, help);
  command->add_option("member", a.member, "member id")->required()->check(kMemberId);
  return command;
}

// A member's subsystems; a removed one keeps its record.
void add_subsystem_commands(CLI::App& registry, Arguments& a, int& exit_code) {
  add_record_list(registry, a, exit_code, "subsystems", "/subsystems", "subsystems");
  auto* subsystem = registry.add_subcommand("subsystem", "a member's subsystem")->require_subcommand(1);
  for (const std::string action : {"add", "remove"}) {
    auto* command =
        add_record_command(*subsystem, a, action, action == "add" ? "register a subsystem" : "remove a subsystem");
    command->add_option("--code", a.code, "subsystem code")->required();
    command->callback([&a, &exit_code, action] {
      check_subsystem_code(a.member, a.code, "--code");
      exit_code = run(a.connection, [&a, action]() -> Result<ApiRequest> {
        if (action == "add") {
          XACBE_ASSIGN_OR_RETURN(std::string target, member_target(a.member, "/subsystems"));
          return post(std::move(target), {{"subsystem_code", a.code}});
        }
        // The code is checked: SubsystemId allows only [A-Za-z0-9._-] and no "." or ".." code.
        XACBE_ASSIGN_OR_RETURN(std::string target, member_target(a.member, "/subsystems/" + a.code + "/removal"));
        return post_without_body(std::move(target));
      });
    });
  }
}

// A member's authorised users; a revoked one keeps its record.
void add_user_commands(CLI::App& registry, Arguments& a, int& exit_code) {
  add_record_list(registry, a, exit_code, "users", "/users", "authorised users");
  auto* user = registry.add_subcommand("user", "a member's authorised user")->require_subcommand(1);
  auto* add = add_record_command(*user, a, "add", "authorise a person for the member");
  add->add_option("--name", a.name, "the person's name")->required();
  add->add_option("--email", a.email, "the person's e-mail address")->required();
  add->add_option("--role", a.role, "responsible, administrator, operator or auditor")->required();
  add->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      XACBE_ASSIGN_OR_RETURN(std::string target, member_target(a.member, "/users"));
      return post(std::move(target), {{"name", a.name}, {"email", a.email}, {"role", a.role}});
    });
  });
  auto* revoke = add_record_command(*user, a, "revoke", "revoke a user's authorisation");
  revoke->add_option("--id", a.number, "user id")->required()->check(kNumber);
  revoke->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      XACBE_ASSIGN_OR_RETURN(std::string target, member_target(a.member, "/users/" + a.number + "/revocation"));
      return post_without_body(std::move(target));
    });
  });
}

// The data services a member declares it will use; a withdrawn usage keeps its record.
void add_usage_commands(CLI::App& registry, Arguments& a, int& exit_code) {
  add_record_list(registry, a, exit_code, "usages", "/service-usages", "declared uses of data services");
  auto* usage = registry.add_subcommand("usage", "a member's declared use of a data service")->require_subcommand(1);
  auto* declare = add_record_command(*usage, a, "declare", "declare that a subsystem will use a service");
  declare->add_option("--client-subsystem", a.code, "code of the member's subsystem that calls the service")
      ->required();
  declare->add_option("--service", a.service, "the service used")->required()->check(kServiceId);
  declare->add_option("--purpose", a.purpose, "what the data is used for")->required();
  declare->callback([&a, &exit_code] {
    check_subsystem_code(a.member, a.code, "--client-subsystem");
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      XACBE_ASSIGN_OR_RETURN(std::string target, member_target(a.member, "/service-usages"));
      return post(std::move(target),
                  {{"client_subsystem_code", a.code}, {"service", a.service}, {"purpose", a.purpose}});
    });
  });
  auto* withdraw = add_record_command(*usage, a, "withdraw", "withdraw a declared usage");
  withdraw->add_option("--id", a.number, "usage id")->required()->check(kNumber);
  withdraw->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      XACBE_ASSIGN_OR_RETURN(std::string target,
                             member_target(a.member, "/service-usages/" + a.number + "/withdrawal"));
      return post_without_body(std::move(target));
    });
  });
}

// Security servers' management requests and their approval, the server list, hosting permissions,
// software releases and the configuration anchor.
void add_server_commands(CLI::App& registry, Arguments& a, int& exit_code) {
  auto* requests = registry.add_subcommand("requests", "list security servers' management requests");
  requests->add_option("--state", a.state, "only requests in this state: pending, approved or declined");
  requests->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      return get("/api/v1/management-requests" + (a.state.empty() ? "" : "?state=" + query_value(a.state)));
    });
  });
  auto* request = registry.add_subcommand("request", "one management request")->require_subcommand(1);
  for (const std::string action : {"show", "approve", "decline"}) {
    auto* command = request->add_subcommand(action, action == "show"      ? "show a management request"
                                                    : action == "approve" ? "approve a management request"
                                                                          : "decline a management request");
    command->add_option("id", a.number, "request id")->required()->check(kNumber);
    if (action == "decline") command->add_option("--reason", a.reason, "why, for the server's owner")->required();
    command->callback([&a, &exit_code, action] {
      exit_code = run(a.connection, [&a, action]() -> Result<ApiRequest> {
        const std::string target = "/api/v1/management-requests/" + a.number;
        if (action == "show") return get(target);
        if (action == "approve") return post_without_body(target + "/approve");
        return post(target + "/decline", {{"reason", a.reason}});
      });
    });
  }

  registry.add_subcommand("servers", "list the registered security servers")->callback([&a, &exit_code] {
    exit_code = run(a.connection, [] { return get("/api/v1/security-servers"); });
  });
  auto* server = registry.add_subcommand("server", "one security server")->require_subcommand(1);
  auto* hosting = server->add_subcommand("allow-foreign-hosting", "let a server host other members' subsystems");
  hosting->add_option("id", a.server, "security server id")->required()->check(kServerId);
  hosting->add_option("--reference", a.reference, "the agreement that allows it")->required();
  hosting->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      // Its canonical form is the path's four parts; kServerId allows only path-safe ones.
      XACBE_ASSIGN_OR_RETURN(id::SecurityServerId id, id::SecurityServerId::parse(a.server));
      return post("/api/v1/security-servers/" + id.to_string() + "/foreign-hosting", {{"reference", a.reference}});
    });
  });

  registry.add_subcommand("releases", "list the recorded software releases")->callback([&a, &exit_code] {
    exit_code = run(a.connection, [] { return get("/api/v1/releases"); });
  });
  auto* release = registry.add_subcommand("release", "software releases")->require_subcommand(1);
  auto* add = release->add_subcommand("add", "record a software release");
  add->add_option("--version", a.version, "the release's version")->required();
  add->add_option("--published-at", a.published_at, "when it was published, UTC: YYYY-MM-DDTHH:MM:SSZ")->required();
  add->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      return post("/api/v1/releases", {{"version", a.version}, {"published_at", a.published_at}});
    });
  });

  // Printed verbatim, so that "xacbe registry anchor > anchor.json" gives what the registry serves.
  registry.add_subcommand("anchor", "the global configuration's anchor, for security servers")
      ->callback([&a, &exit_code] {
        exit_code = run(
            a.connection, [] { return get("/api/v1/configuration-anchor"); }, Output::kVerbatim);
      });
}

// A member or a subsystem, INSTANCE/CLASS/CODE[/SUBSYSTEM].
const CLI::Validator kClientId = tools::identifier<id::ClientId>("INSTANCE/CLASS/CODE[/SUBSYSTEM]");

// "xacbe registry access-levels show|set|assign|clear" (docs/protocol/access-levels.md). The
// registry judges codes and names; the CLI only splits CODE=NAME.
void add_access_level_commands(CLI::App& registry, Arguments& a, int& exit_code) {
  auto* levels = registry.add_subcommand("access-levels", "the access levels and who has which")->require_subcommand(1);
  levels->add_subcommand("show", "the ordered list, lowest first, and every member's and subsystem's level")
      ->callback([&a, &exit_code] {
        exit_code = run(a.connection, [] { return get("/api/v1/access-levels"); });
      });
  auto* set = levels->add_subcommand("set", "replace the ordered list (a level still assigned cannot leave it)");
  set->add_option("levels", a.levels, "CODE=NAME, lowest first")->required()->check(CLI::Validator(
      [](const std::string& text) -> std::string {
        return text.find('=') == std::string::npos || text.front() == '=' ? std::string("expected CODE=NAME")
                                                                            : std::string();
      },
      "CODE=NAME"));
  set->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      Json list = Json::array();
      for (const auto& level : a.levels) {
        const auto eq = level.find('=');
        list.push_back({{"code", level.substr(0, eq)}, {"name", level.substr(eq + 1)}});
      }
      return post("/api/v1/access-levels", {{"levels", list}});
    });
  });
  auto* assign = levels->add_subcommand("assign", "set the level of a member or a subsystem");
  assign->add_option("client", a.subject, "member or subsystem id")->required()->check(kClientId);
  assign->add_option("level", a.code, "a level code of the list")->required();
  assign->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      return post("/api/v1/access-levels/assignments", {{"client", a.subject}, {"level", a.code}});
    });
  });
  auto* clear = levels->add_subcommand("clear", "remove a member's or subsystem's own level");
  clear->add_option("client", a.subject, "member or subsystem id")->required()->check(kClientId);
  clear->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      return post("/api/v1/access-levels/assignments/removal", {{"client", a.subject}});
    });
  });
}

void add_audit_command(CLI::App& registry, Arguments& a, int& exit_code) {
  auto* audit = registry.add_subcommand("audit", "audit trail entries, oldest first");
  auto* after = audit->add_option("--after", a.after, "only entries with a greater id")->check(kNumber);
  auto* limit =
      audit->add_option("--limit", a.limit, "at most this many entries (registry default 1000)")->check(kNumber);
  audit->callback([&a, &exit_code, after, limit] {
    exit_code = run(a.connection, [&a, after, limit]() -> Result<ApiRequest> {
      std::string query;
      if (after->count() > 0) query += "&after=" + a.after;
      if (limit->count() > 0) query += "&limit=" + a.limit;
      if (!query.empty()) query[0] = '?';
      return get("/api/v1/audit" + query);
    });
  });
}

}  // namespace

void add_registry_commands(CLI::App& app, int& exit_code) {
  static Arguments a;
  auto* registry = app.add_subcommand("registry", "the central registry's admin API")->require_subcommand(1);
  // Subcommands created after this hand these options up, so they may come anywhere on the line.
  registry->fallthrough();
  a.connection.url = "http://127.0.0.1:8880";
  add_connection_options(*registry, a.connection, "registry");
  add_member_commands(*registry, a, exit_code);
  add_application_commands(*registry, a, exit_code);
  add_notification_commands(*registry, a, exit_code);
  add_audit_command(*registry, a, exit_code);
  add_subsystem_commands(*registry, a, exit_code);
  add_user_commands(*registry, a, exit_code);
  add_usage_commands(*registry, a, exit_code);
  add_server_commands(*registry, a, exit_code);
  add_access_level_commands(*registry, a, exit_code);
  add_statistics_commands(*registry, a.connection, exit_code);
}

}  // namespace xacbe::tools
