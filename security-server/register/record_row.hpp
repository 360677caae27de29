#pragma once
// One row of the records table as the register's reads and its chain check select it: the column
// list and the reading of a row, in one place so that the two cannot drift apart.

#include <string>
#include <string_view>

#include "register/record.hpp"
#include "xacbe/result.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::ss {

// The record's columns for a SELECT from records, each prefixed with `table` (e.g. "r." in a
// join); without the body, NULL stands in its place. The stamp's batch_id and deadline_missed
// are read from record_stamps. read_record reads them from column 0 on; further columns
// of the same SELECT start at kRecordColumnCount.
std::string record_columns(std::string_view table = "", bool with_body = true);
inline constexpr int kRecordColumnCount = 21;

// kInvalidArgument when side or kind is not a known value.
Result<Record> read_record(const store::Statement& row);

}  // namespace xacbe::ss
