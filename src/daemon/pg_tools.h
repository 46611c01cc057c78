// Running PostgreSQL's client programs (pg_dump, pg_restore) for PGBackups: by argv, with the
// connection given only in the environment (PGHOST, PGPASSWORD, ...), so no password or URL is
// ever on a command line; and counting a database's rows for verification.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "addons/postgres/pq.h"
#include "common/result.h"
#include "daemon/dump_check.h"

namespace slipway::daemon {

// The libpq environment for `url` (postgres://user:pw@host:port/db?sslmode=...). kInvalidParams
// when it does not parse; the message never quotes the URL.
Result<std::map<std::string, std::string>> libpq_env(const std::string& url);

struct ToolOutcome {
  bool succeeded = false;
  bool canceled = false;
  std::string tail;  // the last lines it printed (its errors), for the transfer's logs
};

// Runs argv (argv[0] absolute) to completion with exactly `env`; `cancel` kills it.
Result<ToolOutcome> run_tool(const std::vector<std::string>& argv,
                             const std::map<std::string, std::string>& env,
                             const std::atomic<bool>* cancel);

// Row counts already known, by schema and table name.
using KnownRows = std::map<std::pair<std::string, std::string>, std::int64_t>;

// Every ordinary table outside the system schemas with its row count, in the connection's
// current transaction (so in its snapshot), sorted by schema and name. Tables in `known` are
// not read: their count is taken from it.
Result<std::vector<TableRows>> count_rows(addons::postgres::Connection& c,
                                          const KnownRows& known = {});

// The same for a database that only a pg_restore has written to, once it has finished, from the
// server's own counters of rows inserted (pg_stat_get_tuples_inserted): in such a database they
// are exact — COPY counts every row it writes, pg_restore --exit-on-error succeeded only if every
// COPY committed, and triggers and rules are created after the data — and free, where count_rows
// would read every table again. Waits (up to `wait`) for the restore's sessions to be gone, as
// they flush their counters when they exit; counts with count_rows if they linger or the server
// keeps no counters (track_counts off).
Result<std::vector<TableRows>> restored_rows(
    addons::postgres::Connection& c, std::chrono::milliseconds wait = std::chrono::seconds(10));

}  // namespace slipway::daemon
