// Helpers for the unit tests that run the Postgres engine against real PostgreSQL 15 servers.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "../temp_dir.h"
#include "addons/postgres/engine.h"
#include "addons/postgres/pq.h"

namespace slipway::addons::postgres::testing {

using slipway::testing::TempDir;

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

// An engine's options for a temporary directory (a TempDir, which the postgres user can pass
// through when the tests run as root): its servers run without fsync.
inline EngineOptions sandbox_options(const std::filesystem::path& root) {
  EngineOptions options;
  options.data_dir = root / "data";
  options.bin_dir = kBinDir;
  options.shared_max_connections = 60;
  options.durable = false;
  return options;
}

// A temporary directory with an engine whose servers run in it, for a test suite: the servers
// are stopped, then the directory removed.
class SandboxEngine {
 public:
  SandboxEngine() {
    auto engine = Engine::open(sandbox_options(root_.path()));
    EXPECT_TRUE(engine.ok()) << engine.error().message;
    if (engine.ok()) engine_ = std::move(*engine);
  }
  ~SandboxEngine() {
    if (engine_) {
      EXPECT_TRUE(engine_->stop_all().ok());
    }
  }
  SandboxEngine(const SandboxEngine&) = delete;
  SandboxEngine& operator=(const SandboxEngine&) = delete;

  Engine* engine() const { return engine_.get(); }
  const std::filesystem::path& root() const { return root_.path(); }

 private:
  TempDir root_;  // declared first: removed after the engine is gone
  std::unique_ptr<Engine> engine_;
};

}  // namespace slipway::addons::postgres::testing
