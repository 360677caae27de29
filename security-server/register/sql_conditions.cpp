#include "register/sql_conditions.hpp"

#include "xacbe/store/database.hpp"

namespace xacbe::ss {

std::string SqlConditions::text(std::string value) {
  texts_.emplace_back(++n_, std::move(value));
  return placeholder();
}

std::string SqlConditions::number(std::int64_t value) {
  numbers_.emplace_back(++n_, value);
  return placeholder();
}

void SqlConditions::equal(const char* column, const std::optional<std::string>& value) {
  if (value) sql += std::string(" AND ") + column + " = " + text(*value);
}

void SqlConditions::bind(store::Statement& statement) const {
  for (const auto& [index, value] : texts_) statement.bind(index, value);
  for (const auto& [index, value] : numbers_) statement.bind(index, value);
}

// "?N" for the last parameter (appended, not "?" + string: GCC 12 warns wrongly on that at -O2).
std::string SqlConditions::placeholder() const {
  std::string out = "?";
  out += std::to_string(n_);
  return out;
}

std::string members_condition(const std::vector<id::MemberId>& members, SqlConditions& c) {
  std::string out;
  for (const auto& member : members) {
    const std::string m = member.to_string();
    const std::string exact = c.text(m), low = c.text(m + "/"), high = c.text(m + "0");
    if (!out.empty()) out += " OR ";
    out += "(side = 'client' AND (client = " + exact + " OR (client >= " + low + " AND client < " + high +
           "))) OR (side = 'provider' AND service >= " + low + " AND service < " + high + ")";
  }
  return " AND (" + out + ")";
}

std::string head_success_sql(std::string_view table) {
  std::string head = "CAST(";
  if (!table.empty()) head.append(table).append(".");
  head += "head AS TEXT)";
  // Appended piece by piece: "literal" + std::string draws a false -Wrestrict from GCC 12 at -O2.
  std::string out = "IFNULL((CASE WHEN json_valid(";
  out.append(head).append(") THEN json_extract(").append(head).append(", '$.status') END) BETWEEN 200 AND 399, 0)");
  return out;
}

}  // namespace xacbe::ss
