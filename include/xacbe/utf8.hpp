#pragma once
// UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing past U+10FFFF), for text
// from outside: one rule to check it at the door and one to make it safe to store.

#include <cstddef>
#include <string>
#include <string_view>

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

}  // namespace xacbe
