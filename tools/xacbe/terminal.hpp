#pragma once
// What the CLI's commands share about the terminal: text that reaches it from outside, and the
// identifiers its options take.

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

namespace xacbe::tools {

// Text shown on a terminal (a registry's messages, a file's content): the first `max` bytes of
// `text` in whole characters ("..." when cut), with control characters (C0, DEL, C1) and bytes that
// are not well-formed UTF-8 escaped as \xHH, so that nothing from outside can drive the terminal.
std::string printable(std::string_view text, std::size_t max = 512);

// An option checked as it is parsed, by the identifier type's own strict parser: a malformed one
// is a usage error and nothing is sent.
template <typename Id>
CLI::Validator identifier(std::string form) {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        auto id = Id::parse(text);
        return id ? std::string() : printable(id.status().message());
      },
      std::move(form));
}

}  // namespace xacbe::tools
