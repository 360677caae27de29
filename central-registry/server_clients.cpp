// Shared servers: the clients of other members a security server carries (register-client,
// unregister-client; docs/protocol/management-requests.md). The owner member and its subsystems
// are carried implicitly and never stored; a registered client is a row of server_client, and the
// global configuration lists it while the client itself is listed (configuration_publisher.cpp).
#include <algorithm>

#include "membership.hpp"
#include "request_verification.hpp"
#include "security_servers.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {

// Run on receipt and again on approval (check_payload has already found the server registered).
Status SecurityServers::check_client_change(const management::Request& envelope) {
  const id::SecurityServerId& server = envelope.server;
  const id::ClientId& client = *envelope.client;
  const bool registering = envelope.type == management::RequestType::kRegisterClient;
  // Every server of a member carries the member and its subsystems (the publisher adds them), so
  // a binding for them would be a second, revocable way of saying what cannot be revoked.
  if (client.member() == server.owner()) {
    const std::string what = client.is_subsystem() ? client.to_string() + " is a subsystem of the server's owner"
                                                   : client.to_string() + " is the server's owner";
    if (registering) {
      return Status(Code::kAlreadyExists, "already carried: " + what +
                                              "; a server carries its owner and the owner's"
                                              " subsystems without registering them");
    }
    return failed_precondition("owner's client: " + what +
                               "; a server always carries its owner and the owner's"
                               " subsystems, they cannot be unregistered");
  }
  XACBE_ASSIGN_OR_RETURN(bool carried, is_registered_client(server, client));
  if (!registering) {
    // Taking a client away needs nothing of the client: it may be suspended or gone.
    if (!carried) {
      return not_found("not carried: " + client.to_string() + " is not a registered client of server " +
                       server.to_string());
    }
    return Status::ok();
  }
  if (carried) {
    return Status(Code::kAlreadyExists, "already carried: " + client.to_string() +
                                            " is already a registered client of server " + server.to_string());
  }
  return check_client_in_good_standing(client);
}

// The client a server may start carrying: a member in good standing (active, or terminating and
// still published until its date), or a current subsystem of one; the same standing the global
// configuration requires to list it.
Status SecurityServers::check_client_in_good_standing(const id::ClientId& client) {
  auto member = membership_.member(client.member());
  if (!member) {
    if (member.status().code() != Code::kNotFound) return member.status();
    return not_found("unknown client: member " + client.member().to_string() + " is not registered");
  }
  if (member->state != MemberState::kActive && member->state != MemberState::kTerminating) {
    return failed_precondition("client not in good standing: member " + client.member().to_string() + " is " +
                               std::string(state_name(member->state)) +
                               "; a server may carry only an active or terminating member and its subsystems");
  }
  if (const auto subsystem = client.subsystem()) {
    XACBE_ASSIGN_OR_RETURN(store::Statement query,
                           db_.prepare("SELECT 1 FROM member_subsystem WHERE subsystem_id=?1 AND removed_at IS NULL"));
    XACBE_ASSIGN_OR_RETURN(bool current, query.bind(1, subsystem->to_string()).step());
    if (!current) {
      return not_found("unknown client: " + subsystem->to_string() + " is not a current subsystem of " +
                       client.member().to_string());
    }
  }
  return Status::ok();
}

Result<bool> SecurityServers::is_registered_client(const id::SecurityServerId& server, const id::ClientId& client) {
  XACBE_ASSIGN_OR_RETURN(store::Statement find,
                         db_.prepare("SELECT 1 FROM server_client WHERE server_id=?1 AND client_id=?2"));
  return find.bind(1, server.to_string()).bind(2, client.to_string()).step();
}

// Inside carry_out's transaction, so the binding, the request's decision and the approval's audit
// entry commit together.
Status SecurityServers::carry_out_client_change(const std::string& actor, const ManagementRequest& request,
                                                const management::Request& envelope) {
  const std::string server = envelope.server.to_string();
  const std::string client = envelope.client->to_string();
  if (envelope.type == management::RequestType::kRegisterClient) {
    XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                           db_.prepare("INSERT INTO server_client(server_id, client_id, approved_at, approved_by,"
                                       " request_id) VALUES(?1,?2,?3,?4,?5)"));
    insert.bind(1, server).bind(2, client).bind(3, to_unix_seconds(clock_.now())).bind(4, actor).bind(5, request.id);
    return insert.run();
  }
  XACBE_ASSIGN_OR_RETURN(store::Statement remove,
                         db_.prepare("DELETE FROM server_client WHERE server_id=?1 AND client_id=?2"));
  XACBE_RETURN_IF_ERROR(remove.bind(1, server).bind(2, client).run());
  if (db_.changes() == 0) {
    return not_found("not carried: " + client + " is not a registered client of server " + server);
  }
  return Status::ok();
}

Result<std::vector<RegisteredClient>> SecurityServers::registered_clients(const id::SecurityServerId& server) {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare("SELECT client_id, approved_at, approved_by, request_id FROM server_client"
                                     " WHERE server_id=?1"));
  query.bind(1, server.to_string());
  std::vector<RegisteredClient> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    auto client = id::ClientId::parse(query.column_text(0));
    if (!client) return Status(Code::kCorrupt, "stored client of " + server.to_string() + " is corrupt");
    out.push_back({std::move(client).value(), from_unix_seconds(query.column_int64(1)), query.column_text(2),
                   query.column_int64(3)});
  }
  // Identifier order, as the server list and the global groups show clients.
  std::sort(out.begin(), out.end(),
            [](const RegisteredClient& a, const RegisteredClient& b) { return a.client < b.client; });
  return out;
}

}  // namespace xacbe::registry
