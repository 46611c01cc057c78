// Plan-change moves through the engine against a real PostgreSQL 15 shared cluster: streamed
// with logical replication while the source keeps taking writes, caught up once it is fenced,
// the copy used instead when a table cannot be streamed, and nothing left behind (a slot left on
// the source would keep its WAL forever).
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "addons/postgres/engine.h"
#include "addons/postgres/pq.h"
#include "postgres_test_support.h"

namespace slipway::addons::postgres {
namespace {

namespace fs = std::filesystem;
using namespace slipway::addons::postgres::testing;  // NOLINT(google-build-using-namespace)

class PostgresStreamTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sandbox_ = new SandboxEngine();
    engine_ = sandbox_->engine();
    ASSERT_NE(engine_, nullptr);
  }
  static void TearDownTestSuite() {
    engine_ = nullptr;
    delete sandbox_;  // stops the servers, removes the directory
    sandbox_ = nullptr;
  }

  static DatabaseLocation provision(const std::string& id, const char* plan_name) {
    auto loc = engine_->provision(id, plan(plan_name));
    EXPECT_TRUE(loc.ok()) << loc.error().message;
    return loc.ok() ? *loc : DatabaseLocation{};
  }

  static Connection tenant(const DatabaseLocation& loc) {
    auto conn = connect(loc);
    EXPECT_TRUE(conn.ok()) << conn.error().message;
    return std::move(*conn);
  }

  // The shared cluster's superuser, in `database`.
  static Connection admin(const std::string& database) {
    const DatabaseLocation where{std::string(kSharedInstance), "localhost", 0, database, "", ""};
    auto url = engine_->admin_url(where);
    EXPECT_TRUE(url.ok());
    auto conn = Connection::open(ConnectParams::parse(*url).value());
    EXPECT_TRUE(conn.ok()) << conn.error().message;
    return std::move(*conn);
  }

  static void run(Connection& conn, const std::string& sql) {
    auto rows = conn.query(sql);
    ASSERT_TRUE(rows.ok()) << sql << ": " << rows.error().message;
  }

  // Statements run by the add-on's own role, as its app would.
  static void as_app(const DatabaseLocation& loc, const std::vector<std::string>& statements) {
    auto app = tenant(loc);
    for (const auto& sql : statements) run(app, sql);
  }

  // The cut-over's part: the source fenced, then the move finished.
  static void fence_and_finish(const DatabaseLocation& from, const DatabaseLocation& to,
                               const std::string& key) {
    ASSERT_TRUE(engine_->set_logins(from, false).ok());
    auto finished = engine_->finish_move(from, to, key);
    ASSERT_TRUE(finished.ok()) << finished.error().message;
  }

  // A table of `rows` rows with a primary key: what every move can stream.
  static void fill_items(const DatabaseLocation& loc, int rows) {
    as_app(loc, {"CREATE TABLE items (id bigint PRIMARY KEY)",
                 "INSERT INTO items SELECT generate_series(1, " + std::to_string(rows) + ")"});
  }

  static void expect_nothing_left(const DatabaseLocation& source) {
    auto server = admin("postgres");
    EXPECT_EQ(scalar(server, "SELECT count(*) FROM pg_replication_slots"), "0");
    EXPECT_EQ(scalar(server, "SELECT count(*) FROM pg_subscription"), "0");
    auto source_db = admin(source.database);
    EXPECT_EQ(scalar(source_db, "SELECT count(*) FROM pg_publication"), "0");
  }

  static bool ready_within(const DatabaseLocation& to, const std::string& key,
                           std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto ready = engine_->move_ready(to, key);
      EXPECT_TRUE(ready.ok()) << ready.error().message;
      if (!ready.ok() || *ready) return ready.ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  static SandboxEngine* sandbox_;
  static Engine* engine_;
};

SandboxEngine* PostgresStreamTest::sandbox_ = nullptr;
Engine* PostgresStreamTest::engine_ = nullptr;

TEST_F(PostgresStreamTest, StreamsWhileTheSourceTakesWritesThenCatchesUp) {
  const auto from = provision("stream-from", "essential-0");
  const auto to = provision("stream-to", "essential-1");
  ASSERT_NO_FATAL_FAILURE(as_app(
      from, {"CREATE TABLE items (id serial PRIMARY KEY, body text NOT NULL)",
             "INSERT INTO items (body) SELECT 'row ' || n FROM generate_series(1, 1000) n",
             "CREATE TABLE tags (name text PRIMARY KEY)", "INSERT INTO tags VALUES ('a'), ('b')"}));
  auto started = engine_->start_move(from, to, "key-stream");
  ASSERT_TRUE(started.ok()) << started.error().message;
  ASSERT_FALSE(started->has_value()) << **started;
  ASSERT_TRUE(engine_->move_started(to, "key-stream").value());
  ASSERT_TRUE(ready_within(to, "key-stream", std::chrono::seconds(60)));
  // The app keeps writing after the initial copy: inserts, an update, a delete.
  ASSERT_NO_FATAL_FAILURE(
      as_app(from, {"INSERT INTO items (body) SELECT 'late ' || n FROM generate_series(1, 10) n",
                    "UPDATE items SET body = 'changed' WHERE id = 5",
                    "DELETE FROM items WHERE id = 6", "DELETE FROM tags WHERE name = 'b'"}));
  ASSERT_NO_FATAL_FAILURE(fence_and_finish(from, to, "key-stream"));

  auto moved = tenant(to);
  EXPECT_EQ(scalar(moved, "SELECT count(*) FROM items"), "1009");
  EXPECT_EQ(scalar(moved, "SELECT body FROM items WHERE id = 5"), "changed");
  EXPECT_EQ(scalar(moved, "SELECT count(*) FROM items WHERE id = 6"), "0");
  EXPECT_EQ(scalar(moved, "SELECT count(*) FROM items WHERE body LIKE 'late %'"), "10");
  EXPECT_EQ(scalar(moved, "SELECT string_agg(name, ',') FROM tags"), "a");
  // The sequence was carried over and the new owner can write: the next id follows on.
  EXPECT_EQ(scalar(moved, "INSERT INTO items (body) VALUES ('new') RETURNING id"), "1011");
  expect_nothing_left(from);
  ASSERT_TRUE(engine_->set_logins(from, true).ok());
}

TEST_F(PostgresStreamTest, WithNoTableToStreamEverythingIsCopiedInTheCutOver) {
  const auto from = provision("nokey-from", "essential-0");
  const auto to = provision("nokey-to", "essential-0");
  ASSERT_NO_FATAL_FAILURE(
      as_app(from, {"CREATE TABLE events (at timestamptz, what text)",
                    "INSERT INTO events SELECT now(), 'e' || n FROM generate_series(1, 50) n"}));
  auto started = engine_->start_move(from, to, "key-nokey");
  ASSERT_TRUE(started.ok()) << started.error().message;
  ASSERT_TRUE(started->has_value());
  EXPECT_NE((*started)->find("none of its tables has a primary key"), std::string::npos)
      << **started;
  EXPECT_FALSE(engine_->move_started(to, "key-nokey").value());
  // Nothing was published: the app's updates on that table still work.
  ASSERT_NO_FATAL_FAILURE(as_app(from, {"UPDATE events SET what = 'x' WHERE what = 'e1'"}));
  ASSERT_NO_FATAL_FAILURE(fence_and_finish(from, to, "key-nokey"));
  auto moved = tenant(to);
  EXPECT_EQ(scalar(moved, "SELECT count(*) FROM events"), "50");
  EXPECT_EQ(scalar(moved, "SELECT count(*) FROM events WHERE what = 'x'"), "1");
  expect_nothing_left(from);
  ASSERT_TRUE(engine_->set_logins(from, true).ok());
}

TEST_F(PostgresStreamTest, TablesWithoutAPrimaryKeyAreCopiedInTheCutOverTheRestStreams) {
  const auto from = provision("mixed-from", "essential-0");
  const auto to = provision("mixed-to", "essential-0");
  fill_items(from, 100);
  ASSERT_NO_FATAL_FAILURE(
      as_app(from, {"CREATE TABLE \"Odd \"\"Log\" (item bigint REFERENCES items, what text)",
                    "INSERT INTO \"Odd \"\"Log\" SELECT g, 'e' || g FROM generate_series(1, 50) g",
                    "CREATE UNLOGGED TABLE scratch (id int PRIMARY KEY)",
                    "INSERT INTO scratch VALUES (1), (2)"}));
  auto started = engine_->start_move(from, to, "key-mixed");
  ASSERT_TRUE(started.ok()) << started.error().message;
  ASSERT_FALSE(started->has_value()) << **started;
  ASSERT_TRUE(ready_within(to, "key-mixed", std::chrono::seconds(60)));
  // Not published, so the app's updates and deletes of them keep working meanwhile.
  ASSERT_NO_FATAL_FAILURE(
      as_app(from, {"UPDATE \"Odd \"\"Log\" SET what = 'changed' WHERE item = 1",
                    "DELETE FROM \"Odd \"\"Log\" WHERE item = 2",
                    "DELETE FROM scratch WHERE id = 2", "INSERT INTO items VALUES (101)"}));
  ASSERT_NO_FATAL_FAILURE(fence_and_finish(from, to, "key-mixed"));
  auto moved = tenant(to);
  EXPECT_EQ(scalar(moved, "SELECT count(*) FROM items"), "101");
  EXPECT_EQ(scalar(moved, "SELECT count(*) FROM \"Odd \"\"Log\""), "49");
  EXPECT_EQ(scalar(moved, "SELECT what FROM \"Odd \"\"Log\" WHERE item = 1"), "changed");
  EXPECT_EQ(scalar(moved, "SELECT string_agg(id::text, ',') FROM scratch"), "1");
  expect_nothing_left(from);
  ASSERT_TRUE(engine_->set_logins(from, true).ok());
}

TEST_F(PostgresStreamTest, AnInterruptedMoveStartsAgainAndADroppedOneLeavesNothing) {
  const auto from = provision("again-from", "essential-0");
  const auto to = provision("again-to", "essential-0");
  fill_items(from, 100);
  // Started twice, as after a crash of the control plane midway: the second attempt clears
  // what the first left (its stream, the copied schema) and starts over.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto started = engine_->start_move(from, to, "key-again");
    ASSERT_TRUE(started.ok()) << started.error().message;
    ASSERT_FALSE(started->has_value());
  }
  ASSERT_TRUE(ready_within(to, "key-again", std::chrono::seconds(60)));
  {
    auto server = admin("postgres");
    EXPECT_EQ(scalar(server, "SELECT count(*) FROM pg_replication_slots"), "1");
  }
  ASSERT_TRUE(engine_->drop_move(from, to, "key-again").ok());
  expect_nothing_left(from);
  // Dropping again is harmless, also with the target gone.
  ASSERT_TRUE(engine_->drop_move(from, to, "key-again").ok());
  ASSERT_TRUE(engine_->drop_move(from, std::nullopt, "key-again").ok());
}

TEST_F(PostgresStreamTest, ATableChangedMidwayFailsTheMoveRatherThanStallingIt) {
  const auto from = provision("shape-from", "essential-0");
  const auto to = provision("shape-to", "essential-0");
  fill_items(from, 10);
  ASSERT_FALSE(engine_->start_move(from, to, "key-shape").value().has_value());
  ASSERT_TRUE(ready_within(to, "key-shape", std::chrono::seconds(60)));
  // A migration while the data streams: the new column's rows cannot be applied.
  ASSERT_NO_FATAL_FAILURE(as_app(
      from, {"ALTER TABLE items ADD COLUMN note text", "INSERT INTO items VALUES (11, 'eleven')"}));
  Status failed;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (failed.ok() && std::chrono::steady_clock::now() < deadline) {
    auto ready = engine_->move_ready(to, "key-shape");
    if (!ready.ok()) failed = ready.error();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("logical replication into the new database failed"),
            std::string::npos)
      << failed.error().message;
  ASSERT_TRUE(engine_->drop_move(from, to, "key-shape").ok());
  expect_nothing_left(from);
}

}  // namespace
}  // namespace slipway::addons::postgres
