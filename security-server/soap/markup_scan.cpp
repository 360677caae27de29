#include "soap/markup_scan.hpp"

#include <string>

namespace xacbe::ss::soap {
namespace {

// The position just past `terminator` found from `from`, or npos.
std::size_t past(std::string_view xml, std::string_view terminator, std::size_t from) {
  const std::size_t at = xml.find(terminator, from);
  return at == std::string_view::npos ? at : at + terminator.size();
}

}  // namespace

Status scan_markup(std::string_view xml, std::size_t max_depth, std::size_t max_attributes) {
  std::size_t depth = 0;
  std::size_t i = xml.find('<');
  while (i != std::string_view::npos) {
    const std::string_view rest = xml.substr(i);
    std::size_t next = std::string_view::npos;
    if (rest.starts_with("<!--")) {
      next = past(xml, "-->", i + 4);
      if (next == std::string_view::npos) return invalid_argument("unterminated comment");
    } else if (rest.starts_with("<![CDATA[")) {
      next = past(xml, "]]>", i + 9);
      if (next == std::string_view::npos) return invalid_argument("unterminated CDATA section");
    } else if (rest.starts_with("<!")) {
      return invalid_argument("a DOCTYPE or other declaration is not allowed");
    } else if (rest.starts_with("<?")) {
      next = past(xml, "?>", i + 2);
      if (next == std::string_view::npos) return invalid_argument("unterminated processing instruction");
    } else if (rest.starts_with("</")) {
      next = past(xml, ">", i + 2);
      if (next == std::string_view::npos) return invalid_argument("unterminated end tag");
      if (depth == 0) return invalid_argument("an end tag without its start tag");
      --depth;
    } else {
      // A start tag: up to the first '>' outside a quoted attribute value.
      std::size_t attributes = 0;
      char quote = 0;
      std::size_t j = i + 1;
      for (; j < xml.size(); ++j) {
        const char c = xml[j];
        if (quote != 0) {
          if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
          quote = c;
        } else if (c == '=') {
          if (++attributes > max_attributes) {
            return invalid_argument("an element with more than " + std::to_string(max_attributes) + " attributes");
          }
        } else if (c == '>') {
          break;
        }
      }
      if (j >= xml.size()) return invalid_argument("unterminated start tag");
      if (xml[j - 1] != '/' && ++depth > max_depth) {
        return invalid_argument("elements nested deeper than " + std::to_string(max_depth));
      }
      next = j + 1;
    }
    i = xml.find('<', next);
  }
  return Status::ok();
}

}  // namespace xacbe::ss::soap
