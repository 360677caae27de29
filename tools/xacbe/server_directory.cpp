#include "server_directory.hpp"

#include <charconv>
#include <filesystem>
#include <sstream>

#include "xacbe/file.hpp"

namespace xacbe::tools {
namespace {

constexpr std::string_view kRequestsFile = "requests";

std::string_view trimmed(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) + 1 - first);
}

// "<auth|sign> <id>[ installed <serial>| declined]"
Result<RecordedRequest> parse_line(const std::string& line) {
  std::istringstream words(line);
  std::string usage, id, outcome, serial, extra;
  words >> usage >> id >> outcome >> serial >> extra;
  RecordedRequest r;
  if (usage == "auth" || usage == "sign") {
    r.usage = usage == "auth" ? management::KeyUsage::kAuth : management::KeyUsage::kSign;
  } else {
    return invalid_argument("unknown key usage");
  }
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), r.id);
  if (id.empty() || ec != std::errc() || end != id.data() + id.size() || r.id < 0) {
    return invalid_argument("bad request id");
  }
  const bool done = (outcome == "installed" && !serial.empty()) || (outcome == "declined" && serial.empty());
  if (!extra.empty() || (!outcome.empty() && !done)) return invalid_argument("bad outcome");
  r.outcome = outcome.empty() ? "" : serial.empty() ? outcome : outcome + " " + serial;
  return r;
}

}  // namespace

ServerDirectory::ServerDirectory(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

std::string ServerDirectory::file(std::string_view name) const {
  return dir_ + "/" + std::string(name);
}

std::string ServerDirectory::name(management::KeyUsage usage, std::string_view extension) {
  return std::string(management::key_usage_name(usage)) + "." + std::string(extension);
}

std::string ServerDirectory::file(management::KeyUsage usage, std::string_view extension) const {
  return file(name(usage, extension));
}

bool ServerDirectory::has(const std::string& name) const {
  std::error_code ec;
  return std::filesystem::exists(file(name), ec);
}

Result<id::SecurityServerId> ServerDirectory::server_id() const {
  if (!has("server-id")) {
    return not_found(dir_ + " holds no server-id: run \"xacbe server init --dir " + dir_ + " --id ...\" first");
  }
  XACBE_ASSIGN_OR_RETURN(std::string text, read_file(file("server-id")));
  auto id = id::SecurityServerId::parse(trimmed(text));
  if (!id) return invalid_argument(file("server-id") + ": " + id.status().message());
  return id;
}

Result<std::vector<RecordedRequest>> ServerDirectory::requests() const {
  std::vector<RecordedRequest> out;
  if (!has(std::string(kRequestsFile))) return out;
  XACBE_ASSIGN_OR_RETURN(std::string text, read_file(file(kRequestsFile)));
  std::istringstream lines(text);
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (trimmed(line).empty()) continue;
    auto parsed = parse_line(line);
    if (!parsed) {
      return Status(Code::kCorrupt,
                    file(kRequestsFile) + " line " + std::to_string(number) + ": " + parsed.status().message() +
                        " (expected \"auth|sign <id>\", optionally \"installed <serial>\" or \"declined\")");
    }
    out.push_back(std::move(parsed).value());
  }
  return out;
}

Status ServerDirectory::write_requests(const std::vector<RecordedRequest>& requests) const {
  std::string text;
  for (const auto& r : requests) {
    text += std::string(management::key_usage_name(r.usage)) + " " + std::to_string(r.id);
    if (!r.outcome.empty()) text += " " + r.outcome;
    text += "\n";
  }
  return write_file_atomic(file(kRequestsFile), text);
}

Status ServerDirectory::record(management::KeyUsage usage, std::int64_t id) const {
  XACBE_ASSIGN_OR_RETURN(std::vector<RecordedRequest> recorded, requests());
  recorded.push_back({usage, id, {}});
  return write_requests(recorded);
}

}  // namespace xacbe::tools
