#pragma once
// The query register's routes of the security server's admin API (docs/api/security-server.openapi.yaml,
// docs/auditor-guide.md "The security server's query register"):
//   GET /api/v1/register/records         search, metadata only, paged
//   GET /api/v1/register/records/{seq}   one record with its head, body and e-stamp
//   GET /api/v1/register/accesses        the log of those reads
//   GET /api/v1/register/export          one exchange as an evidence container
// Only the users designated in the configuration (Settings::register_readers) read message
// records, each only the records of its members (record_belongs_to): a search is filtered, and a
// record of another member answers 404 as if absent. Everyone else, administrators included, gets
// 403. Every search and read is recorded in the RegisterAccessLog before it is answered; when the
// entry cannot be written the read is refused with 503 and nothing is served.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "admin/register_access_log.hpp"
#include "register/query_register.hpp"
#include "xacbe/api/admin_api.hpp"
#include "xacbe/id/identifiers.hpp"

namespace xacbe::ss {

// User name -> the members whose records that user may read.
using RegisterReaders = std::map<std::string, std::vector<id::MemberId>>;

// A search examines at most this many records when no indexed filter narrows it
// (RecordFilter::max_examined); the page then says where to go on.
inline constexpr std::int64_t kMaxExaminedPerSearch = 20000;
// A page of records stops before about this many bytes of JSON (at least one record is returned).
inline constexpr std::size_t kMaxRecordPageBytes = 1 << 20;

// Writes the entry of a register access by `call`'s user from `call`'s peer: what every register
// read (and an export) calls before it answers; a failure must refuse the answer.
Status record_register_access(RegisterAccessLog& log, const api::ApiCall& call, const std::string& action,
                              const std::string& detail, std::vector<std::int64_t> seqs,
                              const std::string& outcome = "ok");

// The query's parameters, decoded; a name not in `allowed`, a repeated name or an empty value is
// kInvalidArgument, so that a misspelt filter never widens a search silently.
Result<std::map<std::string, std::string>> admin_query_params(const api::ApiCall& call,
                                                              std::initializer_list<const char*> allowed);

// Adds the routes. `reg`, `accesses` and `readers` must outlive `api`.
void add_register_routes(api::AdminApi& api, const QueryRegister& reg, RegisterAccessLog& accesses,
                         const RegisterReaders& readers);
// GET /api/v1/register/export: the reader's records of one exchange as an evidence container,
// recorded as register.export. `clock` must outlive `api`.
void add_export_route(api::AdminApi& api, const QueryRegister& reg, RegisterAccessLog& accesses,
                      const RegisterReaders& readers, const std::string& server_id, const Clock& clock);

}  // namespace xacbe::ss
