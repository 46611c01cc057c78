#include "daemon/pg_tools.h"

#include <chrono>
#include <deque>
#include <thread>

#include "build/build_process.h"

namespace slipway::daemon {

namespace pg = addons::postgres;

Result<std::map<std::string, std::string>> libpq_env(const std::string& url) {
  auto params = pg::ConnectParams::parse(url);
  if (!params) {
    return make_error(ErrorCode::kInvalidParams, "the database URL is not a valid postgres:// URL");
  }
  static const std::map<std::string, std::string> kEnvOf = {
      {"host", "PGHOST"},       {"hostaddr", "PGHOSTADDR"},      {"port", "PGPORT"},
      {"user", "PGUSER"},       {"password", "PGPASSWORD"},      {"dbname", "PGDATABASE"},
      {"sslmode", "PGSSLMODE"}, {"sslrootcert", "PGSSLROOTCERT"}};
  // C messages (parsed by nobody, read by people), no ~/.pgpass, a bounded connect.
  std::map<std::string, std::string> env = {{"LC_ALL", "C"},
                                            {"PGPASSFILE", "/dev/null"},
                                            {"PGCONNECT_TIMEOUT", "10"},
                                            {"PGAPPNAME", "slipway-pgbackups"}};
  for (const auto& [key, value] : params->values()) {
    if (const auto it = kEnvOf.find(key); it != kEnvOf.end()) env[it->second] = value;
  }
  if (!env.contains("PGDATABASE") || env["PGDATABASE"].empty()) {
    return make_error(ErrorCode::kInvalidParams, "the database URL names no database");
  }
  return env;
}

Result<ToolOutcome> run_tool(const std::vector<std::string>& argv,
                             const std::map<std::string, std::string>& env,
                             const std::atomic<bool>* cancel) {
  build::ProcessSpec spec;
  spec.argv = argv;
  spec.env = env;
  spec.cwd = "/";
  constexpr std::size_t kTailLines = 8;
  std::deque<std::string> tail;
  build::ProcessControl control;
  control.cancel = cancel;
  auto outcome = build::run_process(
      spec,
      [&](std::string_view line) {
        std::string text(line.substr(0, 500));
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
        if (text.empty()) return;
        tail.push_back(std::move(text));
        if (tail.size() > kTailLines) tail.pop_front();
      },
      control);
  if (!outcome) return outcome.error();
  ToolOutcome out;
  out.succeeded = outcome->succeeded();
  out.canceled = outcome->cancelled;
  for (const auto& line : tail) out.tail += (out.tail.empty() ? "" : "\n") + line;
  if (!out.succeeded && out.tail.empty()) {
    out.tail = outcome->signal ? "killed by signal " + std::to_string(outcome->signal)
                               : "exit status " + std::to_string(outcome->exit_code);
  }
  return out;
}

namespace {

// Every ordinary table outside the system schemas, sorted by schema and name.
constexpr std::string_view kUserTables =
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'r' AND c.relpersistence <> 't'"
    " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
    " ORDER BY 1, 2";

// Whether every other client session of the database has ended (within `wait`). Only clients
// (pg_restore, the daemon's loaders) wrote rows; an autovacuum worker, which a freshly loaded
// table draws and which may take many seconds, is not waited for (bench/README.md,
// "Autovacuum and the restored counts").
bool alone_in_database(pg::Connection& c, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto others = c.query(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND backend_type = 'client backend'");
    if (!others) return false;
    if (others->at(0).at(0).value_or("1") == "0") return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

Result<std::vector<TableRows>> restored_rows(pg::Connection& c, std::chrono::milliseconds wait) {
  auto counting = c.query("SHOW track_counts");
  if (!counting || counting->at(0).at(0).value_or("") != "on" || !alone_in_database(c, wait)) {
    return count_rows(c);
  }
  auto rows = c.query("SELECT n.nspname, c.relname, pg_stat_get_tuples_inserted(c.oid)" +
                      std::string(kUserTables));
  if (!rows) return rows.error();
  std::vector<TableRows> out;
  for (const auto& row : *rows) {
    out.push_back({row[0].value_or(""), row[1].value_or(""), std::stoll(row[2].value_or("0"))});
  }
  return out;
}

Result<std::vector<TableRows>> count_rows(pg::Connection& c, const KnownRows& known) {
  auto tables = c.query("SELECT n.nspname, c.relname" + std::string(kUserTables));
  if (!tables) return tables.error();
  std::vector<TableRows> out;
  for (const auto& row : *tables) {
    TableRows t{row[0].value_or(""), row[1].value_or(""), 0};
    if (const auto given = known.find({t.schema, t.table}); given != known.end()) {
      t.rows = given->second;
      out.push_back(std::move(t));
      continue;
    }
    auto schema = c.identifier(t.schema);
    if (!schema) return schema.error();
    auto table = c.identifier(t.table);
    if (!table) return table.error();
    auto count = c.query("SELECT count(*) FROM " + *schema + "." + *table);
    if (!count) return count.error();
    if (!count->empty() && !count->front().empty()) {
      t.rows = std::stoll(count->front()[0].value_or("0"));
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace slipway::daemon
