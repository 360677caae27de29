#include "xacbe/config/strict_json.hpp"

#include <set>
#include <string>
#include <vector>

namespace xacbe::config {

Result<nlohmann::json> parse_json_strict(std::string_view text) {
  using json = nlohmann::json;
  struct Frame {
    std::set<std::string> keys;
    std::string current;  // the key being read in this object
  };
  std::vector<Frame> frames;
  std::string duplicate;  // dotted, the first one found
  auto check_keys = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      frames.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      frames.pop_back();
    } else if (event == json::parse_event_t::key && !frames.empty()) {
      Frame& frame = frames.back();
      frame.current = parsed.get<std::string>();
      if (!frame.keys.insert(frame.current).second && duplicate.empty()) {
        for (const Frame& f : frames) duplicate += (duplicate.empty() ? "" : ".") + f.current;
      }
    }
    return true;
  };
  json root;
  try {
    root = json::parse(text.begin(), text.end(), check_keys);
  } catch (const json::exception& e) {
    return invalid_argument(std::string("not valid JSON: ") + e.what());
  }
  if (!duplicate.empty()) return invalid_argument("repeated key '" + duplicate + "'");
  return root;
}

}  // namespace xacbe::config
