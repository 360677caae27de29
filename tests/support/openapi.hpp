#pragma once
// The operations an OpenAPI document declares, so that a test can compare a component's routes
// with its document.

#include <set>
#include <string>
#include <utility>

namespace xacbe::testing {

// The (METHOD, path) pairs of the document's "paths" section, read line by line: path keys are
// indented two spaces, operations four (our documents are plain YAML, no flow style, no anchors).
std::set<std::pair<std::string, std::string>> documented_operations(const std::string& file);

}  // namespace xacbe::testing
