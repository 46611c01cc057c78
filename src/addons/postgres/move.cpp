#include "addons/postgres/move.h"

#include <spdlog/spdlog.h>

#include <map>
#include <system_error>
#include <thread>

#include "addons/postgres/process.h"
#include "common/fs.h"
#include "common/ids.h"

namespace slipway::addons::postgres {
namespace {

namespace fs = std::filesystem;

// libpq's environment for the dump tools: the password travels here, never in argv.
std::vector<std::string> libpq_env(const ConnectParams& p) {
  return {"PGHOST=" + p.get("host"),         "PGPORT=" + p.get("port"), "PGUSER=" + p.get("user"),
          "PGPASSWORD=" + p.get("password"), "PGSSLMODE=disable",       "PGAPPNAME=slipway-move"};
}

Result<std::map<std::string, std::string>> single_values(Connection& conn, std::string_view sql) {
  auto rows = conn.query(sql);
  if (!rows) return rows.error();
  std::map<std::string, std::string> out;
  for (const auto& row : *rows) out[row.at(0).value_or("")] = row.at(1).value_or("NULL");
  return out;
}

// Row count of every user table, by its quoted qualified name.
Result<std::map<std::string, std::string>> row_counts(Connection& conn) {
  auto tables = conn.query(
      "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
      " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1");
  if (!tables) return tables.error();
  std::map<std::string, std::string> out;
  for (const auto& row : *tables) {
    const std::string name = row.at(0).value_or("");
    // `name` was quoted by the server's format('%I'), so it is safe to splice.
    auto count = conn.query("SELECT count(*) FROM " + name);
    if (!count) return count.error();
    out[name] = count->at(0).at(0).value_or("0");
  }
  return out;
}

Status compare(const char* what, const std::map<std::string, std::string>& source,
               const std::map<std::string, std::string>& target) {
  for (const auto& [name, value] : source) {
    const auto it = target.find(name);
    if (it == target.end()) {
      return make_error(ErrorCode::kInternal, std::string(what) + " " + name + " is missing");
    }
    if (it->second != value) {
      std::string message = std::string(what) + " " + name + ": ";
      message += value;
      message += " at the source, ";
      message += it->second;
      message += " copied";
      return make_error(ErrorCode::kInternal, message);
    }
  }
  if (target.size() != source.size()) {
    return make_error(ErrorCode::kInternal, std::string(what) + "s differ in number");
  }
  return {};
}

}  // namespace

Status set_logins(const ConnectParams& admin, const std::string& user, bool allowed) {
  auto conn = Connection::open(admin);
  if (!conn) return conn.error();
  auto role = conn->identifier(user);
  if (!role) return role.error();
  if (auto r = conn->query("ALTER ROLE " + *role + (allowed ? " LOGIN" : " NOLOGIN")); !r) {
    return r.error();
  }
  if (allowed) return {};
  return end_sessions(*conn,
                      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                      " WHERE usename = $1",
                      "SELECT count(*) FROM pg_stat_activity WHERE usename = $1", {user},
                      "the database's sessions did not end");
}

Status end_sessions(Connection& conn, const std::string& end_sql, const std::string& left_sql,
                    const std::vector<std::optional<std::string>>& params,
                    const std::string& failure) {
  for (int attempt = 0; attempt < 500; ++attempt) {
    if (auto r = conn.query(end_sql, params); !r) return r.error();
    auto left = conn.query(left_sql, params);
    if (!left) return left.error();
    if (left->empty() || left->front().empty() || left->front().front().value_or("0") == "0") {
      return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return make_error(ErrorCode::kInternal, failure);
}

Status copy_database(const fs::path& bin_dir, const fs::path& work_dir, const ConnectParams& source,
                     const ConnectParams& target, const std::string& target_role, CopyWhat what,
                     const std::vector<std::string>& tables) {
  if (auto s = make_directories(work_dir, 0700); !s) return s;
  const fs::path dump = work_dir / ("move-" + random_hex(8) + ".dump");
  // Compression level 1: the file is read back at once, so speed beats size here.
  std::vector<std::string> dump_argv = {(bin_dir / "pg_dump").string(),
                                        "--format=custom",
                                        "--compress=1",
                                        "--no-owner",
                                        "--no-privileges",
                                        "--file=" + dump.string(),
                                        "--dbname=" + source.get("dbname")};
  std::vector<std::string> restore_argv = {(bin_dir / "pg_restore").string(),
                                           "--no-owner",
                                           "--no-privileges",
                                           "--exit-on-error",
                                           "--single-transaction",
                                           "--dbname=" + target.get("dbname")};
  if (what == CopyWhat::kSchema) dump_argv.emplace_back("--schema-only");
  if (what == CopyWhat::kTableData) {
    dump_argv.insert(dump_argv.end(), {"--data-only", "--strict-names"});
    for (const auto& table : tables) dump_argv.push_back("--table=" + table);
    // Into tables that exist already, whose foreign keys may point at rows copied otherwise:
    // as the superuser, with the triggers (foreign-key checks included) off for the load.
    restore_argv.emplace_back("--disable-triggers");
  } else {
    restore_argv.push_back("--role=" + target_role);
  }
  restore_argv.push_back(dump.string());
  auto dumped = run_program(dump_argv, work_dir, std::nullopt, libpq_env(source));
  Status result;
  if (!dumped) {
    result = make_error(ErrorCode::kInternal, "pg_dump failed: " + dumped.error().message);
  } else {
    auto restored = run_program(restore_argv, work_dir, std::nullopt, libpq_env(target));
    if (!restored) {
      result = make_error(ErrorCode::kInternal, "pg_restore failed: " + restored.error().message);
    }
  }
  std::error_code ec;
  fs::remove(dump, ec);
  return result;
}

Status verify_copy(const ConnectParams& source, const ConnectParams& target) {
  auto from = Connection::open(source);
  if (!from) return from.error();
  auto to = Connection::open(target);
  if (!to) return to.error();
  auto from_rows = row_counts(*from);
  if (!from_rows) return from_rows.error();
  auto to_rows = row_counts(*to);
  if (!to_rows) return to_rows.error();
  if (auto s = compare("table", *from_rows, *to_rows); !s) return s;
  constexpr std::string_view kSequences =
      "SELECT format('%I.%I', schemaname, sequencename),"
      " COALESCE(last_value::text, 'unused') FROM pg_sequences"
      " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')";
  auto from_seq = single_values(*from, kSequences);
  if (!from_seq) return from_seq.error();
  auto to_seq = single_values(*to, kSequences);
  if (!to_seq) return to_seq.error();
  if (auto s = compare("sequence", *from_seq, *to_seq); !s) return s;
  spdlog::info("postgres: copy verified ({} tables, {} sequences)", from_rows->size(),
               from_seq->size());
  return {};
}

}  // namespace slipway::addons::postgres
