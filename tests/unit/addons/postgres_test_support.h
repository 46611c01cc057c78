// Helpers for the unit tests that run the Postgres engine against real PostgreSQL 15 servers.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "addons/postgres/engine.h"
#include "addons/postgres/pq.h"

namespace slipway::addons::postgres::testing {

inline constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin";

inline Plan plan(const char* name) { return find_plan(name).value(); }

// The tenant's own credentials, for any database on the location's server.
inline ConnectParams as_tenant(const DatabaseLocation& loc, const std::string& database) {
  ConnectParams params;
  params.set("host", loc.host)
      .set("port", std::to_string(loc.port))
      .set("dbname", database)
      .set("user", loc.user)
      .set("password", loc.password)
      .set("sslmode", "disable");
  return params;
}

inline Result<Connection> connect(const DatabaseLocation& loc) {
  return Connection::open(as_tenant(loc, loc.database));
}

inline std::string scalar(Connection& conn, const std::string& sql) {
  auto rows = conn.query(sql);
  EXPECT_TRUE(rows.ok()) << sql << ": " << (rows.ok() ? "" : rows.error().message);
  return rows.ok() && !rows->empty() ? rows->at(0).at(0).value_or("") : "";
}

// A temporary data dir (removed at the end) whose engine runs its servers without fsync; when
// run as root (CI) the servers run as the postgres system user.
inline EngineOptions sandbox_options(const std::filesystem::path& root) {
  EngineOptions options;
  options.data_dir = root / "data";
  options.bin_dir = kBinDir;
  options.shared_max_connections = 60;
  options.durable = false;
  return options;
}

inline std::filesystem::path make_sandbox_dir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "slipway-pg-test-XXXXXX").string();
  EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
  ::chmod(pattern.c_str(), 0755);  // the postgres user passes through when we are root
  return pattern;
}

}  // namespace slipway::addons::postgres::testing
