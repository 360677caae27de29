#include "register_commands.hpp"

#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "admin_client.hpp"
#include "terminal.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/file.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/id/identifiers.hpp"

namespace xacbe::tools {
namespace {

using Json = nlohmann::json;

// A time as the search takes it: YYYY-MM-DDTHH:MM:SSZ.
const CLI::Validator kUtcTime(
    [](const std::string& text) -> std::string {
      return globalconf::parse_time(text) ? std::string() : "'" + printable(text) + "' is not YYYY-MM-DDTHH:MM:SSZ";
    },
    "TIME");

// What CLI11 fills in while parsing and the callbacks read; only one subcommand runs.
struct Arguments {
  Connection connection;
  std::string message_id, request_id, client, service, user_id, represented_party, side, kind, result, from, until;
  std::string seq, body_out, after, limit, out;
};

std::string query_of(const std::vector<std::pair<std::string, std::string>>& parameters) {
  std::string query;
  for (const auto& [name, value] : parameters) {
    if (value.empty()) continue;
    query += (query.empty() ? "?" : "&") + name + "=" + query_value(value);
  }
  return query;
}

// The record's body bytes from the answer (text or base64, as body_encoding says).
Result<std::string> body_bytes(const Json& record) {
  if (!record.is_object() || !record.contains("body") || record["body"].is_null()) {
    return failed_precondition("the record keeps no body (its client's setting logs digests only)");
  }
  if (!record["body"].is_string()) return invalid_argument("the answer's body is not a string");
  const std::string body = record["body"].get<std::string>();
  if (record.value("body_encoding", "") == "base64") return crypto::base64_decode(body);
  return body;
}

// GET `target` and hand a 200 answer to `use`; any other answer or failure is printed and its exit
// code returned.
int with_answer(const Connection& connection, const std::string& target,
                const std::function<int(const net::HttpResponse&)>& use) {
  check_usage(connection);
  auto client = AdminClient::create(connection);
  if (!client) return fail(client.status());
  auto response = client->send(get(target));
  if (!response) return fail(response.status());
  if (response->status != 200) return report_answer(*response);
  return use(*response);
}

// show --body-out: the body's bytes to the file (mode 0600: it is a member's data), the record
// without its body on stdout.
int show_writing_body(const Connection& connection, const std::string& target, const std::string& body_out) {
  return with_answer(connection, target, [&](const net::HttpResponse& response) {
    Json record = Json::parse(response.body, nullptr, false);
    auto body = body_bytes(record);
    if (!body) return fail(body.status());
    Status written = write_file_atomic(body_out, *body, 0600);
    if (!written.is_ok()) return fail(written);
    record.erase("body");
    record["body_out"] = body_out;
    std::cout << record.dump(2) << "\n";
    return 0;
  });
}

void add_search(CLI::App& reg, Arguments& a, int& exit_code) {
  auto* search = reg.add_subcommand("search", "search the records (metadata, no bodies), one page");
  search->add_option("--message-id", a.message_id, "the client's message id");
  search->add_option("--request-id", a.request_id, "this server's id of the exchange");
  search->add_option("--client", a.client, "a client id, as recorded")->check(identifier<id::ClientId>("CLIENT_ID"));
  search->add_option("--service", a.service, "a service id, as recorded")
      ->check(identifier<id::ServiceId>("SERVICE_ID"));
  search->add_option("--user-id", a.user_id, "the end user the client named");
  search->add_option("--represented-party", a.represented_party, "requests made on behalf of this member")
      ->check(identifier<id::MemberId>("MEMBER_ID"));
  search->add_option("--side", a.side, "which side this server was: client or provider")
      ->check(CLI::IsMember({"client", "provider"}));
  search->add_option("--kind", a.kind, "request or response")->check(CLI::IsMember({"request", "response"}));
  search->add_option("--result", a.result, "success, failure (responses) or unanswered (requests)")
      ->check(CLI::IsMember({"success", "failure", "unanswered"}));
  search->add_option("--from", a.from, "written at or after (UTC, YYYY-MM-DDTHH:MM:SSZ)")->check(kUtcTime);
  search->add_option("--until", a.until, "written before (UTC, YYYY-MM-DDTHH:MM:SSZ)")->check(kUtcTime);
  search->add_option("--after", a.after, "only records with a greater seq: the last page's next_after")->check(kNumber);
  search->add_option("--limit", a.limit, "at most this many records, 1..1000 (server default 100)")->check(kNumber);
  search->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      return get("/api/v1/register/records" + query_of({{"message_id", a.message_id},
                                                        {"request_id", a.request_id},
                                                        {"client", a.client},
                                                        {"service", a.service},
                                                        {"user_id", a.user_id},
                                                        {"represented_party", a.represented_party},
                                                        {"side", a.side},
                                                        {"kind", a.kind},
                                                        {"result", a.result},
                                                        {"from", a.from},
                                                        {"until", a.until},
                                                        {"after", a.after},
                                                        {"limit", a.limit}}));
    });
  });
}

void add_show(CLI::App& reg, Arguments& a, int& exit_code) {
  auto* show = reg.add_subcommand("show", "one record with its head, body and e-stamp");
  show->add_option("seq", a.seq, "the record's seq")->required()->check(kNumber);
  show->add_option("--body-out", a.body_out, "write the body's bytes to this file (mode 0600) instead of printing it");
  show->callback([&a, &exit_code] {
    const std::string target = "/api/v1/register/records/" + a.seq;
    exit_code = a.body_out.empty() ? run(a.connection, [target]() -> Result<ApiRequest> { return get(target); })
                                   : show_writing_body(a.connection, target, a.body_out);
  });
}

// export: the container's bytes to the file (mode 0600: it holds a member's data), a summary on
// stdout.
int export_to_file(const Connection& connection, const std::string& target, const std::string& out) {
  return with_answer(connection, target, [&](const net::HttpResponse& response) {
    Status written = write_file_atomic(out, response.body, 0600);
    if (!written.is_ok()) return fail(written);
    std::cout << Json{{"written", out}, {"bytes", response.body.size()}}.dump(2) << "\n";
    return 0;
  });
}

void add_export(CLI::App& reg, Arguments& a, int& exit_code) {
  auto* exp = reg.add_subcommand("export", "one exchange as an evidence container, for xacbe verify");
  exp->add_option("--client", a.client, "the exchange's client id")->required()->check(identifier<id::ClientId>("CLIENT_ID"));
  exp->add_option("--message-id", a.message_id, "the client's message id")->required();
  exp->add_option("-o,--out", a.out, "the container file to write (mode 0600)")->required();
  exp->callback([&a, &exit_code] {
    exit_code = export_to_file(
        a.connection, "/api/v1/register/export" + query_of({{"client", a.client}, {"message_id", a.message_id}}), a.out);
  });
}

void add_accesses(CLI::App& reg, Arguments& a, int& exit_code) {
  auto* accesses = reg.add_subcommand("accesses", "the register access log, oldest first");
  accesses->add_option("--after", a.after, "only entries with a greater id")->check(kNumber);
  accesses->add_option("--limit", a.limit, "at most this many entries, 1..1000 (server default 100)")->check(kNumber);
  accesses->callback([&a, &exit_code] {
    exit_code = run(a.connection, [&a]() -> Result<ApiRequest> {
      return get("/api/v1/register/accesses" + query_of({{"after", a.after}, {"limit", a.limit}}));
    });
  });
}

}  // namespace

void add_register_commands(CLI::App& app, int& exit_code) {
  static Arguments a;
  auto* reg =
      app.add_subcommand("register", "a security server's query register (designated readers)")->require_subcommand(1);
  // Subcommands created after this hand these options up, so they may come anywhere on the line.
  reg->fallthrough();
  a.connection.url = "http://127.0.0.1:8081";
  a.connection.peer = "the security server";
  add_connection_options(*reg, a.connection, "security server's admin API");
  add_search(*reg, a, exit_code);
  add_show(*reg, a, exit_code);
  add_accesses(*reg, a, exit_code);
  add_export(*reg, a, exit_code);
}

}  // namespace xacbe::tools
