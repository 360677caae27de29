// The names and single-field rules of management requests (docs/protocol/management-requests.md,
// "Request format").
#include <algorithm>
#include <iterator>

#include "xacbe/id/host_name.hpp"
#include "xacbe/management/management_request.hpp"

namespace xacbe::management {
namespace {

constexpr std::string_view kTypeNames[] = {"register-server", "submit-csr",         "register-auth-certificate",
                                           "report-version",  "list-notifications", "acknowledge-notification",
                                           "register-client", "unregister-client",  "report-usage"};

// ISO 3166-1 alpha-2, the officially assigned codes.
constexpr std::string_view kCountries =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY "
    "BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM "
    "FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT "
    "JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN "
    "MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT "
    "PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL "
    "TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}


}  // namespace

std::string_view request_type_name(RequestType type) {
  return kTypeNames[static_cast<int>(type)];
}

Result<RequestType> parse_request_type(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kTypeNames); ++i) {
    if (kTypeNames[i] == name) return static_cast<RequestType>(i);
  }
  // Bounded and printable: the name is the sender's and the message reaches the audit trail.
  std::string shown;
  for (char c : name.substr(0, 64)) shown.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return invalid_argument("unknown request type '" + shown +
                          "' (register-server, submit-csr, register-auth-certificate, report-version,"
                          " list-notifications, acknowledge-notification, register-client, unregister-client, report-usage)");
}

std::string_view usage_side_name(UsageSide side) { return side == UsageSide::kClient ? "client" : "provider"; }

std::string_view key_usage_name(KeyUsage usage) {
  return usage == KeyUsage::kAuth ? "auth" : "sign";
}

Result<std::array<std::uint32_t, 4>> parse_version(std::string_view text) {
  std::array<std::uint32_t, 4> parts{};
  std::size_t n = 0;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = std::min(text.find('.', start), text.size());
    const std::string_view part = text.substr(start, end - start);
    if (n == parts.size() || !is_digits(part) || part.size() > 9 || (part.size() > 1 && part.front() == '0')) {
      std::string shown;
      for (char c : text.substr(0, 64)) shown.push_back(c >= 0x20 && c < 0x7f ? c : '?');
      return invalid_argument("'" + shown + "' is not a release version (1 to 4 dot-separated numbers, e.g. 1.4.2)");
    }
    std::uint32_t value = 0;
    for (char c : part) value = value * 10 + static_cast<std::uint32_t>(c - '0');
    parts[n++] = value;
    if (end == text.size()) break;
    start = end + 1;
  }
  return parts;
}

bool is_request_id(std::string_view text) {
  return text.size() >= 8 && text.size() <= 128 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-';
         });
}

bool is_country_code(std::string_view text) {
  if (text.size() != 2 || text[0] < 'A' || text[0] > 'Z' || text[1] < 'A' || text[1] > 'Z') return false;
  for (std::size_t i = 0; i + 2 <= kCountries.size(); i += 3) {
    if (kCountries.substr(i, 2) == text) return true;
  }
  return false;
}

bool is_server_address(std::string_view text) { return id::is_host_and_port(text); }

}  // namespace xacbe::management
