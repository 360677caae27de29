#pragma once
// A linear pass over XML markup before any XML parser sees it (docs/protocol/soap.md "Parsing"):
// it refuses what the envelope never needs and what would make a parser work or allocate out of
// proportion to the input. It is not a parser: whatever it lets through is parsed by libxml2
// under its own guards, so a mistake here can only refuse, never admit.

#include <cstddef>
#include <string_view>

#include "xacbe/result.hpp"

namespace xacbe::ss::soap {

// kInvalidArgument for: a declaration ("<!DOCTYPE", "<!ENTITY", anything "<!" but a comment or a
// CDATA section), an unterminated comment, CDATA section, processing instruction or tag, an end
// tag without its start, element nesting deeper than `max_depth`, or a start tag with more than
// `max_attributes` attributes (namespace declarations included). Comments, CDATA sections and
// processing instructions are skipped; attribute values are read as quoted strings.
Status scan_markup(std::string_view xml, std::size_t max_depth, std::size_t max_attributes);

}  // namespace xacbe::ss::soap
