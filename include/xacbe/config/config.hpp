#pragma once
// Strict JSON configuration files: every value is type- and range-checked, relative paths resolve
// against the file's own directory, and keys nobody asked for are reported (a typo in a key is an
// error, not a silently ignored setting). Messages name the file and the dotted key.

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "xacbe/result.hpp"

namespace xacbe::config {

class Node {
 public:
  static Result<Node> load(const std::string& path);
  static Result<Node> parse(const std::string& text, const std::string& origin, const std::string& base_dir);

  bool has(const std::string& key) const;
  Result<std::string> string(const std::string& key) const;
  Result<std::int64_t> integer(const std::string& key, std::int64_t min, std::int64_t max) const;
  Result<bool> boolean(const std::string& key) const;
  Result<std::vector<std::string>> strings(const std::string& key) const;
  // A file path; relative paths are taken from the configuration file's directory.
  Result<std::string> path(const std::string& key) const;
  Result<Node> object(const std::string& key) const;

  // The keys of this object, for maps keyed by name (reading them marks nothing as used).
  std::vector<std::string> keys() const;
  // Keys present in this object (and objects taken from it) that were never read.
  Status check_all_used() const;

 private:
  struct State;
  Node(std::shared_ptr<State> state, std::string prefix, const void* json);
  std::string where(const std::string& key) const;
  const void* get(const std::string& key) const;

  std::shared_ptr<State> state_;
  std::string prefix_;  // dotted path of this object, "" at the root
  const void* json_;    // const nlohmann::json*, owned by state_
};

// Reads optional integer/bool/string with a default: absent → fallback; present but wrong → error.
Result<std::int64_t> integer_or(const Node& node, const std::string& key, std::int64_t fallback, std::int64_t min,
                                std::int64_t max);
Result<bool> boolean_or(const Node& node, const std::string& key, bool fallback);
Result<std::string> string_or(const Node& node, const std::string& key, const std::string& fallback);

}  // namespace xacbe::config
