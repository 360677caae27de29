#pragma once
// The operations an OpenAPI document declares, so that a test can compare a component's routes
// with its document.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace xacbe::testing {

// The (METHOD, path) pairs of the document's "paths" section, read line by line: path keys are
// indented two spaces, operations four (our documents are plain YAML, no flow style, no anchors).
std::set<std::pair<std::string, std::string>> documented_operations(const std::string& file);

// `path` with each {parameter} replaced by its value in `values`; nullopt when one has none
// (a parameter the test does not know: the document and the test disagree).
std::optional<std::string> fill_path(std::string path, const std::map<std::string, std::string>& values);

}  // namespace xacbe::testing
