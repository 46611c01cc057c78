#include "addons/postgres/staging.h"

#include <array>
#include <set>

#include "addons/postgres/tenant.h"

namespace slipway::addons::postgres {
namespace {

constexpr std::string_view kStaged = "slipway_stage_";
constexpr std::string_view kRetired = "slipway_retired_";
constexpr std::string_view kScratch = "slipway_verify_";
constexpr std::array kPrefixes = {kStaged, kRetired, kScratch};
constexpr std::size_t kMaxKey = 40;
constexpr std::string_view kObjectInUse = "55006";  // RENAME: other sessions use the database
constexpr int kSwapAttempts = 5;

Error context(const std::string& what, const Error& e) {
  return make_error(e.code, what + ": " + e.message);
}

Result<int> end_sessions(Connection& conn, const std::string& database) {
  auto ended = conn.query(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
      " WHERE datname = $1 AND pid <> pg_backend_pid()",
      {database});
  if (!ended) return context("cannot end the sessions of " + database, ended.error());
  return std::stoi(ended->at(0).at(0).value_or("0"));
}

// Both renames or neither: true when done, false when a session is (still, or again) in
// `database`.
Result<bool> rename_pair(Connection& conn, const std::string& database, const std::string& staged,
                         const std::string& retired) {
  auto live = conn.identifier(database);
  auto from = conn.identifier(staged);
  auto old = conn.identifier(retired);
  if (!live) return live.error();
  if (!from) return from.error();
  if (!old) return old.error();
  if (auto b = conn.query("BEGIN"); !b) return b.error();
  for (const std::string& sql : {"ALTER DATABASE " + *live + " RENAME TO " + *old,
                                 "ALTER DATABASE " + *from + " RENAME TO " + *live}) {
    if (auto r = conn.query(sql); !r) {
      const bool in_use = conn.last_sqlstate() == kObjectInUse;
      (void)conn.query("ROLLBACK");
      if (in_use) return false;
      return r.error();
    }
  }
  if (auto c = conn.query("COMMIT"); !c) return c.error();
  return true;
}

}  // namespace

std::string staged_name(const std::string& key) { return std::string(kStaged) + key; }
std::string retired_name(const std::string& key) { return std::string(kRetired) + key; }
std::string scratch_name(const std::string& key) { return std::string(kScratch) + key; }

bool valid_work_key(const std::string& key) {
  if (key.empty() || key.size() > kMaxKey) return false;
  for (const char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

Status create_staged(const ConnectParams& admin, const std::string& key, const std::string& user) {
  if (!valid_work_key(key)) return make_error(ErrorCode::kInvalidParams, "bad work key " + key);
  auto conn = Connection::open(admin);
  if (!conn) return conn.error();
  if (auto s = drop_database(*conn, staged_name(key)); !s) return s;
  return ensure_database(*conn, staged_name(key), user);
}

Result<int> swap_in_staged(const ConnectParams& admin, const std::string& database,
                           const std::string& key) {
  if (!valid_work_key(key)) return make_error(ErrorCode::kInvalidParams, "bad work key " + key);
  auto conn = Connection::open(admin);
  if (!conn) return conn.error();
  auto staged = conn->query("SELECT 1 FROM pg_database WHERE datname = $1", {staged_name(key)});
  if (!staged) return staged.error();
  if (staged->empty()) {
    return make_error(ErrorCode::kNotFound, "nothing is staged to replace " + database);
  }
  int ended = 0;
  for (int attempt = 1;; ++attempt) {
    auto now = end_sessions(*conn, database);
    if (!now) return now.error();
    ended += *now;
    // RENAME waits up to 5 s for the ended sessions to go; sessions connecting once it holds
    // its lock wait, then fail ("just renamed") and connect again to the new database.
    auto renamed = rename_pair(*conn, database, staged_name(key), retired_name(key));
    if (!renamed) {
      return context("cannot put the new database in place of " + database, renamed.error());
    }
    if (*renamed) return ended;
    if (attempt == kSwapAttempts) {
      return make_error(ErrorCode::kConflict, "sessions kept connecting to " + database +
                                                  "; the new database was not put in place");
    }
  }
}

Result<SwapState> swap_state(const ConnectParams& admin, const std::string& key) {
  if (!valid_work_key(key)) return make_error(ErrorCode::kInvalidParams, "bad work key " + key);
  auto conn = Connection::open(admin);
  if (!conn) return conn.error();
  auto rows = conn->query("SELECT datname FROM pg_database WHERE datname IN ($1, $2)",
                          {staged_name(key), retired_name(key)});
  if (!rows) return rows.error();
  bool staged = false;
  bool retired = false;
  for (const auto& row : *rows) {
    staged = staged || row.at(0) == staged_name(key);
    retired = retired || row.at(0) == retired_name(key);
  }
  // The two renames are one transaction: the staged database is there until it committed.
  if (staged) return SwapState::kNotSwapped;
  return retired ? SwapState::kSwapped : SwapState::kUnknown;
}

Status drop_work_databases(const ConnectParams& admin, const std::string& key) {
  if (!valid_work_key(key)) return make_error(ErrorCode::kInvalidParams, "bad work key " + key);
  auto conn = Connection::open(admin);
  if (!conn) return conn.error();
  for (const auto& name : {staged_name(key), retired_name(key), scratch_name(key)}) {
    if (auto s = drop_database(*conn, name); !s) return s;
  }
  return {};
}

Result<std::vector<std::string>> work_database_keys(const ConnectParams& admin) {
  auto conn = Connection::open(admin);
  if (!conn) return conn.error();
  auto rows = conn->query("SELECT datname FROM pg_database WHERE datname LIKE 'slipway\\_%'");
  if (!rows) return rows.error();
  std::set<std::string> keys;
  for (const auto& row : *rows) {
    const std::string name = row.at(0).value_or("");
    for (const auto prefix : kPrefixes) {
      if (name.starts_with(prefix) && valid_work_key(name.substr(prefix.size()))) {
        keys.insert(name.substr(prefix.size()));
      }
    }
  }
  return std::vector<std::string>(keys.begin(), keys.end());
}

}  // namespace slipway::addons::postgres
