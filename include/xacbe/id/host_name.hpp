#pragma once
// How hosts are named where Xacbe writes them down: RFC 1123 host names and IP address literals.
// A security server's address in a management request and in the global configuration, and the
// subjectAltName of a service certificate, are checked by these rules, so what one side accepts
// the other can use. Nothing is normalised: no case folding, no trailing dot, no IDNA.

#include <optional>
#include <string>
#include <string_view>

namespace xacbe::id {

// RFC 1123 section 2.1 (and RFC 952) host name syntax: dot-separated labels of 1..63 ASCII
// letters, digits and hyphens, neither starting nor ending with a hyphen; 253 characters at most,
// no trailing dot. Wildcards ("*") and underscores are not host names.
bool is_host_name(std::string_view name);

// An IP address literal: IPv4 in dotted-quad form (four decimal octets, no leading zeros) or IPv6
// in RFC 4291 section 2.2 text form (no brackets, no zone index). Returns the address in network
// byte order, 4 or 16 bytes; nullopt for anything else.
std::optional<std::string> parse_ip_address(std::string_view text);

// A server's network address "host:port" as the global configuration publishes it and a
// management request declares it: a host name (is_host_name; a host of digits and dots must be an
// IPv4 literal, so "999.1.1.1" is refused), an IPv4 literal, or an IPv6 literal in brackets; then
// a decimal port 1..65535 without leading zeros.
bool is_host_and_port(std::string_view text);

}  // namespace xacbe::id
