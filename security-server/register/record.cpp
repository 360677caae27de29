#include "register/record.hpp"

#include <algorithm>

namespace xacbe::ss {

const char* side_name(RecordSide side) {
  return side == RecordSide::kClient ? "client" : "provider";
}
const char* kind_name(RecordKind kind) {
  return kind == RecordKind::kRequest ? "request" : "response";
}

Result<RecordSide> parse_side(std::string_view name) {
  if (name == "client") return RecordSide::kClient;
  if (name == "provider") return RecordSide::kProvider;
  return Status(Code::kCorrupt, "unknown record side");
}

Result<RecordKind> parse_kind(std::string_view name) {
  if (name == "request") return RecordKind::kRequest;
  if (name == "response") return RecordKind::kResponse;
  return Status(Code::kCorrupt, "unknown record kind");
}

bool record_belongs_to(RecordSide side, std::string_view client, std::string_view service, const id::MemberId& member) {
  const std::string_view owner = side == RecordSide::kClient ? client : service;
  const std::string m = member.to_string();
  return owner == m || (owner.size() > m.size() && owner.substr(0, m.size()) == m && owner[m.size()] == '/');
}

}  // namespace xacbe::ss
