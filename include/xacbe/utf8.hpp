#pragma once
// UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing past U+10FFFF), for text
// from outside: one rule to check it at the door and one to make it safe to store.

#include <cstddef>
#include <string>
#include <string_view>

#include "xacbe/result.hpp"

namespace xacbe {

// Whether `text` is well-formed UTF-8 (NUL is a character like any other here).
bool is_utf8(std::string_view text);

// `text` with every byte that is not part of well-formed UTF-8, and every NUL, replaced by U+FFFD,
// so that what is stored is what a later read serves (SQLite TEXT, JSON, logs).
std::string valid_utf8(std::string_view text);
// valid_utf8(text) cut to at most `max` bytes at a character boundary.
std::string bounded_utf8(std::string_view text, std::size_t max);
// What a message may quote of input from outside: bounded_utf8(text, max), with "..." appended
// when something was cut, so that a refusal never copies unbounded input.
std::string excerpt(std::string_view text, std::size_t max = 64);

// Whether `text` has a control character: C0 (U+0000..U+001F), DEL, or C1 (U+0080..U+009F,
// UTF-8 C2 80..C2 9F).
bool has_control_characters(std::string_view text);
// Text a person wrote, as every door checks it: required, at most `max` bytes, UTF-8, and free of
// control characters except, with `multiline`, tab and line breaks (elsewhere they would break a
// mail header or a log line). kInvalidArgument "<field> is required", "... is longer than N
// bytes", "... is not UTF-8", "... has control characters": the message names `field` as given
// (e.g. "'liaison.name'") and never repeats the value.
Status check_text(std::string_view text, std::string_view field, std::size_t max, bool multiline = false);

}  // namespace xacbe
