// Counting a restored database's rows (restored_rows) against a real PostgreSQL 15 server: the
// server's counters when only inserts happened and their sessions are gone, count(*) otherwise;
// and counting a dumped database's (count_rows), where a dump's own counts are taken as given.
#include "daemon/pg_tools.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "../addons/postgres_test_support.h"

namespace slipway::daemon {
namespace {

namespace pg = addons::postgres;
using pg::testing::SandboxEngine;
using pg::testing::scalar;

class RestoredRowsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sandbox_ = new SandboxEngine();
    engine_ = sandbox_->engine();
    ASSERT_NE(engine_, nullptr);
    ASSERT_TRUE(engine_->ensure_shared().ok());
  }
  static void TearDownTestSuite() {
    engine_ = nullptr;
    delete sandbox_;  // stops the servers, removes the directory
    sandbox_ = nullptr;
  }

  // A superuser connection to `database` of the shared cluster (created if it is not "postgres").
  static pg::Connection admin(const std::string& database) {
    pg::DatabaseLocation where{std::string(pg::kSharedInstance), "localhost", 0, database, "", ""};
    auto url = engine_->admin_url(where);
    EXPECT_TRUE(url.ok());
    auto conn = pg::Connection::open(pg::ConnectParams::parse(*url).value());
    EXPECT_TRUE(conn.ok()) << conn.error().message;
    return std::move(*conn);
  }
  static pg::Connection fresh_database(const std::string& name) {
    auto postgres = admin("postgres");
    EXPECT_TRUE(postgres.query("CREATE DATABASE " + name).ok());
    return admin(name);
  }

  static SandboxEngine* sandbox_;
  static pg::Engine* engine_;
};

SandboxEngine* RestoredRowsTest::sandbox_ = nullptr;
pg::Engine* RestoredRowsTest::engine_ = nullptr;

std::string rows_of(const std::vector<TableRows>& tables) {
  std::string out;
  for (const auto& t : tables) out += t.schema + "." + t.table + "=" + std::to_string(t.rows) + " ";
  return out;
}

TEST_F(RestoredRowsTest, ReadsTheServersCountersOnceTheWritersAreGone) {
  {
    auto writer = fresh_database("counted");
    ASSERT_TRUE(writer.query("CREATE SCHEMA app").ok());
    ASSERT_TRUE(
        writer.query("CREATE TABLE app.items AS SELECT generate_series(1, 1000) AS id").ok());
    ASSERT_TRUE(writer.query("CREATE TABLE public.empty (x int)").ok());
    ASSERT_TRUE(
        writer.query("CREATE TABLE public.pruned AS SELECT generate_series(1, 5) AS id").ok());
    ASSERT_TRUE(writer.query("DELETE FROM public.pruned WHERE id > 3").ok());
  }  // the writer disconnects; its backend flushes its counters as it exits
  auto reader = admin("counted");
  auto counted = restored_rows(reader);
  ASSERT_TRUE(counted.ok()) << counted.error().message;
  // The counters (rows inserted), not count(*): `pruned` had 5 inserted, 3 left. A restore never
  // deletes, so there the two agree.
  EXPECT_EQ(rows_of(*counted), "app.items=1000 public.empty=0 public.pruned=5 ");
  auto real = count_rows(reader);
  ASSERT_TRUE(real.ok());
  EXPECT_EQ(rows_of(*real), "app.items=1000 public.empty=0 public.pruned=3 ");
  // Counts known already (a dump's, counted in its data) are taken as given; the rest counted.
  auto given = count_rows(reader, {{{"app", "items"}, 7}, {{"public", "gone"}, 9}});
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(rows_of(*given), "app.items=7 public.empty=0 public.pruned=3 ");
}

TEST_F(RestoredRowsTest, CountsWhenASessionLingersOrTheServerKeepsNoCounters) {
  auto writer = fresh_database("lingering");
  ASSERT_TRUE(writer.query("CREATE TABLE t AS SELECT generate_series(1, 10) AS id").ok());
  ASSERT_TRUE(writer.query("DELETE FROM t WHERE id > 4").ok());
  auto reader = admin("lingering");
  auto counted = restored_rows(reader, std::chrono::milliseconds(200));  // writer still there
  ASSERT_TRUE(counted.ok());
  EXPECT_EQ(rows_of(*counted), "public.t=4 ");

  ASSERT_TRUE(admin("postgres").query("ALTER DATABASE lingering SET track_counts = off").ok());
  auto without_counters = admin("lingering");
  EXPECT_EQ(scalar(without_counters, "SHOW track_counts"), "off");
  { auto gone = std::move(writer); }
  counted = restored_rows(without_counters);
  ASSERT_TRUE(counted.ok());
  EXPECT_EQ(rows_of(*counted), "public.t=4 ");
}

TEST_F(RestoredRowsTest, AnAutovacuumWorkerIsNotWaitedFor) {
  // A freshly loaded table draws autovacuum (VACUUM ANALYZE), which can take many seconds. The
  // counters are complete once the writer has gone, whatever autovacuum does meanwhile.
  auto postgres = admin("postgres");
  ASSERT_TRUE(postgres.query("ALTER SYSTEM SET autovacuum_naptime = 1").ok());
  ASSERT_TRUE(postgres.query("SELECT pg_reload_conf()").ok());
  {
    auto writer = fresh_database("vacuumed");
    ASSERT_TRUE(
        writer.query("CREATE TABLE t AS SELECT g AS id, md5(g::text) AS note"
                     " FROM generate_series(1, 1000000) g")
            .ok());
    ASSERT_TRUE(writer.query("DELETE FROM t WHERE id <= 10").ok());
  }
  const std::string workers =
      "SELECT count(*) FROM pg_stat_activity WHERE datname = 'vacuumed'"
      " AND backend_type = 'autovacuum worker'";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (scalar(postgres, workers) == "0" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(scalar(postgres, workers), "1") << "autovacuum never came";
  auto reader = admin("vacuumed");
  // Waiting for every session would last the whole (short) wait, then count(*): 999990.
  auto counted = restored_rows(reader, std::chrono::milliseconds(100));
  ASSERT_TRUE(counted.ok()) << counted.error().message;
  EXPECT_EQ(rows_of(*counted), "public.t=1000000 ");
  ASSERT_TRUE(postgres.query("ALTER SYSTEM RESET autovacuum_naptime").ok());
  ASSERT_TRUE(postgres.query("SELECT pg_reload_conf()").ok());
}

}  // namespace
}  // namespace slipway::daemon
