#include "admin/register_access_log.hpp"

#include <algorithm>
#include <string_view>

#include "register/register_time.hpp"
#include "xacbe/store/database.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::ss {
namespace {

constexpr std::string_view kModule = "register-access";

// register_accesses: one row per search, record read or export. `at` in Unix milliseconds;
//   record_count, first_seq and last_seq of what was served, `seqs` the first kMaxListedSeqs of
//   them comma-separated. The triggers keep it append-only whoever holds a connection.
const std::vector<std::string>& migrations() {
  static const std::vector<std::string> m = {R"sql(
CREATE TABLE register_accesses(
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  user TEXT NOT NULL,
  role TEXT NOT NULL,
  peer TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL,
  outcome TEXT NOT NULL,
  record_count INTEGER NOT NULL,
  first_seq INTEGER,
  last_seq INTEGER,
  seqs TEXT NOT NULL);
CREATE INDEX register_accesses_user ON register_accesses(user, id);
CREATE TRIGGER register_accesses_no_update BEFORE UPDATE ON register_accesses
  BEGIN SELECT RAISE(ABORT, 'register access entries are never changed'); END;
CREATE TRIGGER register_accesses_no_delete BEFORE DELETE ON register_accesses
  BEGIN SELECT RAISE(ABORT, 'register access entries are never deleted'); END;
)sql"};
  return m;
}

std::string listed_seqs(const std::vector<std::int64_t>& seqs) {
  std::string out;
  for (std::size_t i = 0; i < seqs.size() && i < kMaxListedSeqs; ++i) {
    if (i > 0) out += ',';
    out += std::to_string(seqs[i]);
  }
  return out;
}

Result<std::vector<std::int64_t>> parse_seqs(const std::string& text) {
  std::vector<std::int64_t> out;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string part = text.substr(start, end - start);
    if (part.empty() || part.size() > 18 || part.find_first_not_of("0123456789") != std::string::npos) {
      return internal_error("a stored register access lists a malformed seq");
    }
    out.push_back(std::stoll(part));
    start = end + 1;
  }
  return out;
}

}  // namespace

RegisterAccessLog::RegisterAccessLog(std::unique_ptr<store::Database> db, const Clock& clock)
    : db_(std::move(db)), clock_(clock) {}
RegisterAccessLog::~RegisterAccessLog() = default;

Result<std::unique_ptr<RegisterAccessLog>> RegisterAccessLog::open(const std::string& path, const Clock& clock) {
  XACBE_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db, store::Database::open(path));
  XACBE_RETURN_IF_ERROR(db->migrate(kModule, migrations()));
  return std::unique_ptr<RegisterAccessLog>(new RegisterAccessLog(std::move(db), clock));
}

Status RegisterAccessLog::record(const RegisterAccess& a) {
  XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                         db_->prepare("INSERT INTO register_accesses(at, user, role, peer, action, detail, outcome,"
                                      " record_count, first_seq, last_seq, seqs)"
                                      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
  insert.bind(1, to_unix_millis(clock_.now()));
  insert.bind(2, excerpt(a.user, kMaxAccessUserBytes)).bind(3, excerpt(a.role, kMaxAccessUserBytes));
  insert.bind(4, excerpt(a.peer, kMaxAccessPeerBytes)).bind(5, excerpt(a.action, kMaxAccessActionBytes));
  insert.bind(6, excerpt(a.detail, kMaxAccessDetailBytes)).bind(7, excerpt(a.outcome, kMaxAccessActionBytes));
  insert.bind(8, static_cast<std::int64_t>(a.seqs.size()));
  if (a.seqs.empty()) {
    insert.bind_null(9).bind_null(10);
  } else {
    insert.bind(9, a.seqs.front()).bind(10, a.seqs.back());
  }
  insert.bind(11, listed_seqs(a.seqs));
  return insert.run();
}

Result<RegisterAccessLog::Page> RegisterAccessLog::list(std::int64_t after_id, int limit,
                                                        const std::optional<std::string>& user, std::size_t max_bytes) {
  if (limit < 1 || limit > 1000) return invalid_argument("an access listing returns 1 to 1000 entries");
  XACBE_ASSIGN_OR_RETURN(
      store::Statement query,
      db_->prepare(std::string("SELECT id, at, user, role, peer, action, detail, outcome, record_count,"
                               " first_seq, last_seq, seqs FROM register_accesses WHERE id > ?1") +
                   (user ? " AND user = ?3" : "") + " ORDER BY id LIMIT ?2"));
  query.bind(1, after_id).bind(2, std::int64_t{limit} + 1);
  if (user) query.bind(3, *user);
  Page page;
  std::size_t bytes = 0;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    StoredRegisterAccess e;
    e.id = query.column_int64(0);
    e.at = from_unix_millis(query.column_int64(1));
    e.access.user = query.column_text(2);
    e.access.role = query.column_text(3);
    e.access.peer = query.column_text(4);
    e.access.action = query.column_text(5);
    e.access.detail = query.column_text(6);
    e.access.outcome = query.column_text(7);
    e.record_count = query.column_int64(8);
    if (!query.is_null(9)) e.first_seq = query.column_int64(9);
    if (!query.is_null(10)) e.last_seq = query.column_int64(10);
    const std::string seqs = query.column_text(11);
    XACBE_ASSIGN_OR_RETURN(e.access.seqs, parse_seqs(seqs));
    bytes += e.access.user.size() + e.access.role.size() + e.access.peer.size() + e.access.action.size() +
             e.access.detail.size() + e.access.outcome.size() + seqs.size() + 128;
    if (page.entries.size() == static_cast<std::size_t>(limit) || (bytes > max_bytes && !page.entries.empty())) {
      page.more = true;
      break;
    }
    page.entries.push_back(std::move(e));
  }
  return page;
}

}  // namespace xacbe::ss
