#pragma once
// The WHERE clause of a search over a store of exchanges (the query register's records, the
// operational records), built from a filter with every value bound as a numbered parameter, never
// spliced into the SQL; and the rule of whose rows they are (record.hpp record_belongs_to) in SQL,
// so that both stores apply the one rule.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "xacbe/id/identifiers.hpp"

namespace xacbe::store {
class Statement;
}

namespace xacbe::ss {

class SqlConditions {
 public:
  // Parameters are numbered from `first` ("?first", "?first+1", ...): the statement may bind the
  // ones before itself.
  explicit SqlConditions(int first = 1) : n_(first - 1) {}

  std::string sql;  // appended to by the caller and by the helpers below

  // A new parameter holding `value`; its placeholder.
  std::string text(std::string value);
  std::string number(std::int64_t value);
  // " AND column = ?N" when `value` is given.
  void equal(const char* column, const std::optional<std::string>& value);
  void bind(store::Statement& statement) const;

 private:
  std::string placeholder() const;
  std::vector<std::pair<int, std::string>> texts_;
  std::vector<std::pair<int, std::int64_t>> numbers_;
  int n_;
};

// " AND (...)": rows that belong to one of `members` by record_belongs_to, for a table with
// `side`, `client` and `service` columns: on the client side the client's member, on the
// provider side the service's, "M" or "M/..." as the range ["M/", "M0") ('0' follows '/'), which
// indexes on client and service can serve.
std::string members_condition(const std::vector<id::MemberId>& members, SqlConditions& c);

// An SQL expression, 1 or 0 (never NULL), of whether the head of record `table` ("" for the
// query's own table) reports success: a JSON object with an integer `status` in 200..399
// (docs/protocol/query-register.md "Searching"). The register's search and its usage counts apply
// this one rule.
std::string head_success_sql(std::string_view table = {});

}  // namespace xacbe::ss
