#include "xacbe/config/config.hpp"

#include "xacbe/config/strict_json.hpp"

#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <vector>

#include "xacbe/file.hpp"

namespace xacbe::config {

using json = nlohmann::json;

struct Node::State {
  json root;
  std::string origin;
  std::string base_dir;
  std::set<std::string> used;  // dotted keys read so far
};

Node::Node(std::shared_ptr<State> state, std::string prefix, const void* json)
    : state_(std::move(state)), prefix_(std::move(prefix)), json_(json) {}

Result<Node> Node::load(const std::string& path) {
  XACBE_ASSIGN_OR_RETURN(std::string text, read_file(path));
  std::string dir = std::filesystem::path(path).parent_path().string();
  return parse(text, path, dir.empty() ? "." : dir);
}

Result<Node> Node::parse(const std::string& text, const std::string& origin, const std::string& base_dir) {
  auto state = std::make_shared<State>();
  auto parsed = parse_json_strict(text);
  if (!parsed) return invalid_argument(origin + ": " + parsed.status().message());
  state->root = std::move(parsed).value();
  if (!state->root.is_object()) return invalid_argument(origin + ": the top level must be an object");
  state->origin = origin;
  state->base_dir = base_dir;
  const void* root = &state->root;
  return Node(std::move(state), "", root);
}

std::string Node::where(const std::string& key) const {
  return state_->origin + ": '" + (prefix_.empty() ? key : prefix_ + "." + key) + "'";
}

const void* Node::get(const std::string& key) const {
  const auto& obj = *static_cast<const json*>(json_);
  auto it = obj.find(key);
  if (it == obj.end()) return nullptr;
  state_->used.insert(prefix_.empty() ? key : prefix_ + "." + key);
  return &*it;
}

bool Node::has(const std::string& key) const { return static_cast<const json*>(json_)->contains(key); }

Result<std::string> Node::string(const std::string& key) const {
  const auto* v = static_cast<const json*>(get(key));
  if (v == nullptr) return invalid_argument(where(key) + " is required");
  if (!v->is_string()) return invalid_argument(where(key) + " must be a string");
  return v->get<std::string>();
}

Result<std::int64_t> Node::integer(const std::string& key, std::int64_t min, std::int64_t max) const {
  const auto* v = static_cast<const json*>(get(key));
  if (v == nullptr) return invalid_argument(where(key) + " is required");
  std::optional<std::int64_t> value;
  if (v->is_number_unsigned()) {
    // Read as int64, an unsigned value above INT64_MAX would wrap to a negative one.
    const auto u = v->get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) value = static_cast<std::int64_t>(u);
  } else if (v->is_number_integer()) {
    value = v->get<std::int64_t>();
  }
  if (!value || *value < min || *value > max) {
    return invalid_argument(where(key) + " must be an integer in " + std::to_string(min) + ".." + std::to_string(max));
  }
  return *value;
}

Result<bool> Node::boolean(const std::string& key) const {
  const auto* v = static_cast<const json*>(get(key));
  if (v == nullptr) return invalid_argument(where(key) + " is required");
  if (!v->is_boolean()) return invalid_argument(where(key) + " must be true or false");
  return v->get<bool>();
}

Result<std::vector<std::string>> Node::strings(const std::string& key) const {
  const auto* v = static_cast<const json*>(get(key));
  if (v == nullptr) return invalid_argument(where(key) + " is required");
  std::vector<std::string> out;
  if (v->is_array()) {
    for (const auto& item : *v) {
      if (!item.is_string()) break;
      out.push_back(item.get<std::string>());
    }
    if (out.size() == v->size()) return out;
  }
  return invalid_argument(where(key) + " must be a list of strings");
}

Result<std::string> Node::path(const std::string& key) const {
  // Read in place rather than moved out of the Result: GCC 12 wrongly warns at -O2 on the move.
  const Result<std::string> text = string(key);
  if (!text.is_ok()) return text.status();
  const std::string& p = *text;
  if (p.empty()) return invalid_argument(where(key) + " must not be empty");
  if (p.starts_with('/')) return p;
  std::string full = state_->base_dir;
  full.append("/").append(p);
  return full;
}

Result<Node> Node::object(const std::string& key) const {
  const auto* v = static_cast<const json*>(get(key));
  if (v == nullptr) return invalid_argument(where(key) + " is required");
  if (!v->is_object()) return invalid_argument(where(key) + " must be an object");
  return Node(state_, prefix_.empty() ? key : prefix_ + "." + key, v);
}

std::vector<std::string> Node::keys() const {
  std::vector<std::string> out;
  const auto& obj = *static_cast<const json*>(json_);
  for (auto it = obj.begin(); it != obj.end(); ++it) out.push_back(it.key());
  return out;
}

Status Node::check_all_used() const {
  const auto& obj = *static_cast<const json*>(json_);
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string dotted = prefix_.empty() ? it.key() : prefix_ + "." + it.key();
    if (!state_->used.count(dotted)) return invalid_argument(state_->origin + ": unknown key '" + dotted + "'");
    if (it->is_object()) {
      XACBE_RETURN_IF_ERROR(Node(state_, dotted, &*it).check_all_used());
    }
  }
  return Status::ok();
}

Result<std::int64_t> integer_or(const Node& node, const std::string& key, std::int64_t fallback, std::int64_t min,
                                std::int64_t max) {
  return node.has(key) ? node.integer(key, min, max) : Result<std::int64_t>(fallback);
}

Result<bool> boolean_or(const Node& node, const std::string& key, bool fallback) {
  return node.has(key) ? node.boolean(key) : Result<bool>(fallback);
}

Result<std::string> string_or(const Node& node, const std::string& key, const std::string& fallback) {
  return node.has(key) ? node.string(key) : Result<std::string>(fallback);
}

}  // namespace xacbe::config
