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

}  // namespace xacbe::id
