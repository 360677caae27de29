#include "support/openapi.hpp"

#include <cctype>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace xacbe::testing {

std::set<std::pair<std::string, std::string>> documented_operations(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file);
  static const std::regex kPath(R"(^  (/[^:\s]*):\s*$)");
  static const std::regex kMethod(R"(^    (get|post|put|delete|patch):\s*$)");
  std::set<std::pair<std::string, std::string>> out;
  bool in_paths = false;
  std::string path;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.front() != ' ' && line.front() != '#') {
      in_paths = line == "paths:";
      continue;
    }
    std::smatch m;
    if (!in_paths) continue;
    if (std::regex_match(line, m, kPath)) {
      path = m[1];
    } else if (std::regex_match(line, m, kMethod) && !path.empty()) {
      std::string method = m[1];
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.emplace(method, path);
    }
  }
  return out;
}

std::optional<std::string> fill_path(std::string path, const std::map<std::string, std::string>& values) {
  for (std::size_t open = path.find('{'); open != std::string::npos; open = path.find('{')) {
    const std::size_t close = path.find('}', open);
    if (close == std::string::npos) return std::nullopt;
    const auto value = values.find(path.substr(open, close + 1 - open));
    if (value == values.end()) return std::nullopt;
    path.replace(open, close + 1 - open, value->second);
  }
  return path;
}

}  // namespace xacbe::testing
