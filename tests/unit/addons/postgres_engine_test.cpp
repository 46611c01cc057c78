// The engine against real PostgreSQL 15 servers (Debian's postgresql-15), started in a temporary
// data dir on free loopback ports and stopped at the end. Run as root (CI) the servers run as the
// postgres system user; otherwise as the current user.
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "addons/postgres/engine.h"
#include "addons/postgres/names.h"
#include "addons/postgres/pq.h"
#include "addons/postgres/process.h"
#include "addons/postgres/staging.h"
#include "common/fs.h"
#include "daemon/tls_material.h"
#include "postgres_test_support.h"

namespace slipway::addons::postgres {
namespace {

namespace fs = std::filesystem;

using namespace slipway::addons::postgres::testing;  // NOLINT(google-build-using-namespace)

fs::path bin(const char* program) { return fs::path(kBinDir) / program; }

pid_t pid_in(const fs::path& instance_dir) {
  std::ifstream in(instance_dir / "data" / "postmaster.pid");
  pid_t pid = 0;
  in >> pid;
  return pid;
}

class PostgresEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir();
    engine_ = open_engine().release();
  }
  static void TearDownTestSuite() {
    if (engine_ != nullptr) {
      EXPECT_TRUE(engine_->stop_all().ok());
    }
    delete engine_;
    engine_ = nullptr;
    for (auto& extra : extra_engines()) EXPECT_TRUE(extra->stop_all().ok());
    extra_engines().clear();
    delete root_;  // removes the directory
  }
  static std::vector<std::unique_ptr<Engine>>& extra_engines() {
    static std::vector<std::unique_ptr<Engine>> engines;
    return engines;
  }

  static EngineOptions options() { return sandbox_options(root_->path()); }
  static std::unique_ptr<Engine> open_engine() {
    auto engine = Engine::open(options());
    EXPECT_TRUE(engine.ok()) << engine.error().message;
    return engine.ok() ? std::move(*engine) : nullptr;
  }

  static fs::path postgres_dir() { return *root_ / "data" / "postgres"; }
  static fs::path shared_dir() { return postgres_dir() / "shared"; }

  DatabaseLocation provision(const std::string& id, const char* plan_name = "essential-0") {
    auto loc = engine_->provision(id, plan(plan_name));
    EXPECT_TRUE(loc.ok()) << loc.error().message;
    return loc.ok() ? *loc : DatabaseLocation{};
  }

  // Superuser access to the shared cluster, as the platform's backups get it.
  Connection admin(const std::string& database = "postgres") {
    EXPECT_TRUE(engine_->ensure_shared().ok());
    DatabaseLocation where{std::string(kSharedInstance), "localhost", 0, database, "", ""};
    auto url = engine_->admin_url(where);
    EXPECT_TRUE(url.ok());
    auto conn = Connection::open(ConnectParams::parse(*url).value());
    EXPECT_TRUE(conn.ok()) << conn.error().message;
    return std::move(*conn);
  }

  static TempDir* root_;
  static Engine* engine_;
};

TempDir* PostgresEngineTest::root_ = nullptr;
Engine* PostgresEngineTest::engine_ = nullptr;

TEST_F(PostgresEngineTest, SharedDatabasesAreIsolatedFromEachOther) {
  const auto a = provision("addon-a");
  const auto b = provision("addon-b");
  EXPECT_EQ(a.instance, "shared");
  EXPECT_EQ(a.host, "localhost");
  EXPECT_EQ(a.port, b.port);
  EXPECT_NE(a.database, b.database);
  EXPECT_NE(a.user, b.user);
  EXPECT_EQ(a.url(), "postgres://" + a.user + ":" + a.password +
                         "@localhost:" + std::to_string(a.port) + "/" + a.database);

  auto own = connect(a);
  ASSERT_TRUE(own.ok()) << own.error().message;
  EXPECT_EQ(scalar(*own, "SELECT current_user"), a.user);
  EXPECT_EQ(scalar(*own, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"),
            "false");
  // Not the other add-on's database, nor the admin's.
  for (const auto& database : {b.database, std::string("postgres"), std::string("template1")}) {
    auto other = Connection::open(as_tenant(a, database));
    ASSERT_FALSE(other.ok()) << database;
    EXPECT_NE(other.error().message.find("permission denied for database \"" + database + "\""),
              std::string::npos)
        << other.error().message;
    EXPECT_NE(other.error().message.find("User does not have CONNECT privilege"),
              std::string::npos);
  }
  auto template0 = Connection::open(as_tenant(a, "template0"));
  ASSERT_FALSE(template0.ok());
  EXPECT_NE(template0.error().message.find("not currently accepting connections"),
            std::string::npos);
  // Nor its size, nor its sessions' queries.
  EXPECT_FALSE(own->query("SELECT pg_database_size('" + b.database + "')").ok());
  // The server's log never saw a password (roles get SCRAM verifiers).
  auto log = read_file(shared_dir() / "postgres.log");
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->find(a.password), std::string::npos);
  EXPECT_EQ(log->find(b.password), std::string::npos);
}

// The listing decision (see docs/postgres.md): pg_database stays readable, because revoking it
// breaks the owner's own pg_dump; the names it shows are opaque.
TEST_F(PostgresEngineTest, OwnersToolsWorkAndTheListingTellsNothing) {
  const auto a = provision("addon-tools");
  const auto b = provision("addon-neighbour");
  auto own = connect(a);
  ASSERT_TRUE(own.ok());
  auto listed = own->query("SELECT datname FROM pg_database");
  ASSERT_TRUE(listed.ok());
  bool sees_b = false;
  for (const auto& row : *listed) sees_b = sees_b || row[0] == b.database;
  EXPECT_TRUE(sees_b);
  EXPECT_EQ(b.database.find("neighbour"), std::string::npos);
  EXPECT_EQ(b.user.find("neighbour"), std::string::npos);

  const fs::path dump = *root_ / "tools.dump";
  ASSERT_TRUE(own->query("CREATE TABLE widgets (id serial PRIMARY KEY, name text)").ok());
  ASSERT_TRUE(own->query("INSERT INTO widgets (name) VALUES ('a'), ('b')").ok());
  auto dumped = run_program({bin("pg_dump").string(), "--format=custom", "--file=" + dump.string(),
                             "--dbname=" + a.url()},
                            root_->path(), std::nullopt);
  EXPECT_TRUE(dumped.ok()) << dumped.error().message;
  auto restored = run_program({bin("pg_restore").string(), "--clean", "--if-exists", "--no-owner",
                               "--dbname=" + a.url(), dump.string()},
                              root_->path(), std::nullopt);
  EXPECT_TRUE(restored.ok()) << restored.error().message;
  auto psql = run_program({bin("psql").string(), "--no-psqlrc", "--dbname=" + a.url(), "-c", "\\l",
                           "-c", "\\dt", "-c", "\\d widgets", "-c", "\\du"},
                          root_->path(), std::nullopt);
  ASSERT_TRUE(psql.ok()) << psql.error().message;
  EXPECT_NE(psql->find("widgets"), std::string::npos);

  // Django (psycopg2), as a Heroku app's settings would use DATABASE_URL.
  const char* script =
      "import sys, urllib.parse as u\n"
      "import django\nfrom django.conf import settings\n"
      "p = u.urlparse(sys.argv[1])\n"
      "settings.configure(DATABASES={'default': {'ENGINE': 'django.db.backends.postgresql',"
      " 'NAME': p.path[1:], 'USER': p.username, 'PASSWORD': p.password, 'HOST': p.hostname,"
      " 'PORT': p.port}}, INSTALLED_APPS=['django.contrib.contenttypes'], USE_TZ=True)\n"
      "django.setup()\n"
      "from django.core.management import call_command\n"
      "call_command('migrate', verbosity=0)\n"
      "from django.db import connection\n"
      "print('tables', sorted(connection.introspection.table_names()))\n";
  if (!run_program({"/usr/bin/python3", "-c", "import django, psycopg2"}, root_->path(),
                   std::nullopt)
           .ok()) {
    GTEST_SKIP() << "python3-django / python3-psycopg2 are not installed";
  }
  auto django =
      run_program({"/usr/bin/python3", "-c", script, a.url()}, root_->path(), std::nullopt);
  ASSERT_TRUE(django.ok()) << django.error().message;
  EXPECT_NE(django->find("django_content_type"), std::string::npos) << *django;
}

TEST_F(PostgresEngineTest, ConnectionLimitIsThePlans) {
  const auto loc = provision("addon-limit", "essential-0");
  std::vector<Connection> open;
  for (int i = 0; i < plan("essential-0").max_connections; ++i) {
    auto conn = connect(loc);
    ASSERT_TRUE(conn.ok()) << i << ": " << conn.error().message;
    open.push_back(std::move(*conn));
  }
  auto one_more = connect(loc);
  ASSERT_FALSE(one_more.ok());
  EXPECT_NE(one_more.error().message.find("too many connections for role"), std::string::npos)
      << one_more.error().message;
  auto stats = engine_->stats(loc);  // the admin is not counted against the role
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_EQ(stats->connections, 20);
}

TEST_F(PostgresEngineTest, ProvisionFinishesWhatACrashLeftHalfDone) {
  // A crash after the role was created (with another password), before the database was.
  {
    auto conn = admin();
    ASSERT_TRUE(
        conn.query("CREATE ROLE " + role_name("addon-crash") + " LOGIN PASSWORD 'stale'").ok());
    // And another after the database was created by the admin, before its rights were set.
    ASSERT_TRUE(conn.query("CREATE ROLE " + role_name("addon-crash2") + " LOGIN").ok());
    ASSERT_TRUE(conn.query("CREATE DATABASE " + database_name("addon-crash2")).ok());
  }
  for (const char* id : {"addon-crash", "addon-crash2"}) {
    const auto first = provision(id);
    const auto again = provision(id);
    EXPECT_EQ(first, again) << id;
    auto conn = connect(first);
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    EXPECT_EQ(scalar(*conn,
                     "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = "
                     "current_database()"),
              first.user);
    EXPECT_TRUE(conn->query("CREATE TABLE t (x int)").ok());
  }
  auto other = provision("addon-crash-neighbour");
  EXPECT_FALSE(Connection::open(as_tenant(other, database_name("addon-crash2"))).ok());
}

TEST_F(PostgresEngineTest, StatsAreMeasured) {
  const auto loc = provision("addon-stats");
  auto before = engine_->stats(loc);
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_EQ(before->tables, 0);
  EXPECT_GT(before->data_size_bytes, 1'000'000);  // an empty database is ~7 MB
  EXPECT_EQ(before->server_version.rfind("15.", 0), 0U) << before->server_version;
  auto conn = connect(loc);
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn->query("CREATE TABLE rows (id int, body text)").ok());
  ASSERT_TRUE(conn->query("INSERT INTO rows SELECT g, repeat('x', 200) FROM "
                          "generate_series(1, 20000) g")
                  .ok());
  ASSERT_TRUE(conn->query("CREATE TABLE other (id int)").ok());
  auto after = engine_->stats(loc);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->tables, 2);
  EXPECT_GT(after->data_size_bytes, before->data_size_bytes + 4'000'000);
  EXPECT_EQ(after->connections, 1);
}

TEST_F(PostgresEngineTest, ResetLeavesAnEmptyDatabaseWithExtensions) {
  const auto loc = provision("addon-reset");
  {
    auto conn = connect(loc);
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(conn->query("CREATE TABLE doomed (id int)").ok());
    ASSERT_TRUE(conn->query("INSERT INTO doomed VALUES (1)").ok());
  }
  auto held = connect(loc);  // an open session does not stop a reset
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(engine_->reset(loc, {"citext"}).ok());
  ASSERT_TRUE(engine_->reset(loc, {"citext"}).ok());  // and again: idempotent
  auto conn = connect(loc);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  EXPECT_EQ(scalar(*conn, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "0");
  EXPECT_EQ(scalar(*conn, "SELECT count(*) FROM pg_extension WHERE extname = 'citext'"), "1");
  EXPECT_TRUE(conn->query("CREATE TABLE fresh (x citext)").ok());
  auto neighbour = provision("addon-reset-neighbour");
  EXPECT_FALSE(Connection::open(as_tenant(neighbour, loc.database)).ok());  // still shut
}

// Runs `sql` as the tenant in `database` of the location's server.
void run_as_tenant(const DatabaseLocation& loc, const std::string& database,
                   const std::string& sql) {
  auto conn = Connection::open(as_tenant(loc, database));
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  ASSERT_TRUE(conn->query(sql).ok()) << sql;
}

bool has_key(Engine& engine, const DatabaseLocation& loc, const std::string& key) {
  auto keys = engine.work_database_keys(loc);
  EXPECT_TRUE(keys.ok()) << keys.error().message;
  return keys.ok() && std::find(keys->begin(), keys->end(), key) != keys->end();
}

TEST_F(PostgresEngineTest, AStagedDatabaseReplacesTheLiveOneWhole) {
  const auto loc = provision("addon-stage");
  ASSERT_NO_FATAL_FAILURE(run_as_tenant(loc, loc.database, "CREATE TABLE before_restore (id int)"));
  auto staged = engine_->stage(loc, "key1");
  ASSERT_TRUE(staged.ok()) << staged.error().message;
  EXPECT_EQ(staged->database, staged_name("key1"));
  ASSERT_NO_FATAL_FAILURE(run_as_tenant(
      loc, staged->database, "CREATE TABLE restored AS SELECT generate_series(1, 3) AS id"));
  const auto neighbour = provision("addon-stage-neighbour");
  EXPECT_FALSE(Connection::open(as_tenant(neighbour, staged->database)).ok());
  EXPECT_TRUE(has_key(*engine_, loc, "key1"));
  EXPECT_EQ(engine_->swap_state(loc, "key1").value(), SwapState::kNotSwapped);

  auto held = connect(loc);  // an app's session, in the database being replaced
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(held->query("BEGIN").ok());
  ASSERT_TRUE(held->query("SELECT count(*) FROM before_restore").ok());
  auto ended = engine_->swap_in(loc, "key1");
  ASSERT_TRUE(ended.ok()) << ended.error().message;
  EXPECT_EQ(*ended, 1);
  EXPECT_FALSE(held->query("SELECT 1").ok());  // ended

  auto conn = connect(loc);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  EXPECT_EQ(scalar(*conn, "SELECT count(*) FROM restored"), "3");
  EXPECT_EQ(scalar(*conn, "SELECT count(*) FROM pg_tables WHERE tablename = 'before_restore'"),
            "0");
  EXPECT_EQ(scalar(*conn,
                   "SELECT tableowner = current_user FROM pg_tables"
                   " WHERE tablename = 'restored'"),
            "t");
  EXPECT_FALSE(Connection::open(as_tenant(neighbour, loc.database)).ok());  // still shut

  // The replaced database waits, renamed, for drop_work_databases (which may repeat); until
  // then it tells that the swap committed.
  EXPECT_TRUE(has_key(*engine_, loc, "key1"));
  EXPECT_EQ(engine_->swap_state(loc, "key1").value(), SwapState::kSwapped);
  ASSERT_TRUE(engine_->drop_work_databases(loc, "key1").ok());
  ASSERT_TRUE(engine_->drop_work_databases(loc, "key1").ok());
  EXPECT_EQ(engine_->swap_state(loc, "key1").value(), SwapState::kUnknown);
  EXPECT_FALSE(has_key(*engine_, loc, "key1"));

  // Nothing staged: nothing happens.
  auto again = engine_->swap_in(loc, "key1");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(scalar(*conn, "SELECT count(*) FROM restored"), "3");
}

TEST_F(PostgresEngineTest, AnAbandonedStagedDatabaseLeavesTheLiveOneAsItWas) {
  const auto loc = provision("addon-stage-abandoned");
  auto conn = connect(loc);
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn->query("CREATE TABLE kept AS SELECT 1 AS id").ok());
  auto staged = engine_->stage(loc, "key2");
  ASSERT_TRUE(staged.ok());
  ASSERT_NO_FATAL_FAILURE(
      run_as_tenant(loc, staged->database, "CREATE TABLE half_restored (id int)"));
  ASSERT_TRUE(engine_->drop_work_databases(loc, "key2").ok());
  EXPECT_EQ(scalar(*conn, "SELECT count(*) FROM kept"), "1");  // the session was never ended
  EXPECT_FALSE(has_key(*engine_, loc, "key2"));
  for (const char* bad : {"", "Key", "a-b", "../x", "0123456789012345678901234567890123456789x"}) {
    auto s = engine_->stage(loc, bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidParams);
  }
}

TEST_F(PostgresEngineTest, TheSwapOutlastsAClientThatKeepsReconnecting) {
  const auto loc = provision("addon-stage-busy");
  auto staged = engine_->stage(loc, "key3");
  ASSERT_TRUE(staged.ok());
  ASSERT_NO_FATAL_FAILURE(run_as_tenant(loc, staged->database, "CREATE TABLE restored (id int)"));
  std::atomic<bool> stop{false};
  std::atomic<int> sessions{0};
  std::thread client([&] {
    while (!stop.load()) {
      auto conn = connect(loc);
      if (conn.ok() && conn->query("SELECT pg_sleep(0.05)").ok()) ++sessions;
    }
  });
  while (sessions.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto ended = engine_->swap_in(loc, "key3");
  const int before = sessions.load();
  while (sessions.load() < before + 3) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop.store(true);
  client.join();
  ASSERT_TRUE(ended.ok()) << ended.error().message;
  auto conn = connect(loc);
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ(scalar(*conn, "SELECT count(*) FROM pg_tables WHERE tablename = 'restored'"), "1");
  EXPECT_TRUE(engine_->drop_work_databases(loc, "key3").ok());
}

TEST_F(PostgresEngineTest, DeprovisionDropsDatabaseAndRoleAndMayRepeat) {
  const auto loc = provision("addon-gone");
  ASSERT_TRUE(engine_->deprovision(loc).ok());
  ASSERT_TRUE(engine_->deprovision(loc).ok());
  auto conn = connect(loc);
  ASSERT_FALSE(conn.ok());
  EXPECT_NE(conn.error().message.find("password authentication failed"), std::string::npos)
      << conn.error().message;
  auto a = admin();
  EXPECT_EQ(scalar(a, "SELECT count(*) FROM pg_database WHERE datname = '" + loc.database + "'"),
            "0");
  EXPECT_EQ(scalar(a, "SELECT count(*) FROM pg_roles WHERE rolname = '" + loc.user + "'"), "0");
}

TEST_F(PostgresEngineTest, SupervisionRestartsAKilledPostmasterAndDataSurvives) {
  const auto loc = provision("addon-kill");
  {
    auto conn = connect(loc);
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(conn->query("CREATE TABLE kept (v text)").ok());
    ASSERT_TRUE(conn->query("INSERT INTO kept VALUES ('committed before the crash')").ok());
  }
  const pid_t before = pid_in(shared_dir());
  ASSERT_GT(before, 0);
  ASSERT_EQ(::kill(before, SIGKILL), 0);
  for (int i = 0; i < 100 && process_alive(before); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(connect(loc).ok());
  // What the daemon does every few seconds.
  Status ticked = engine_->supervise();
  for (int i = 0; i < 10 && !ticked.ok(); ++i) ticked = engine_->supervise();
  ASSERT_TRUE(ticked.ok()) << ticked.error().message;
  const pid_t after = pid_in(shared_dir());
  EXPECT_NE(after, before);
  EXPECT_TRUE(process_alive(after));
  auto conn = connect(loc);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  EXPECT_EQ(scalar(*conn, "SELECT v FROM kept"), "committed before the crash");
  EXPECT_TRUE(engine_->supervise().ok());  // healthy: nothing to do
  EXPECT_EQ(pid_in(shared_dir()), after);
}

TEST_F(PostgresEngineTest, ARestartedControlPlaneAdoptsTheRunningCluster) {
  const auto loc = provision("addon-adopt");
  const pid_t pid = pid_in(shared_dir());
  delete engine_;  // the control plane goes away; its database does not
  engine_ = nullptr;
  EXPECT_TRUE(process_alive(pid));
  auto conn = connect(loc);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  engine_ = open_engine().release();
  ASSERT_NE(engine_, nullptr);
  EXPECT_TRUE(engine_->shared_cluster_exists());
  ASSERT_TRUE(engine_->ensure_shared().ok());
  EXPECT_EQ(pid_in(shared_dir()), pid);  // adopted, not restarted
  EXPECT_EQ(provision("addon-adopt"), loc);
  EXPECT_TRUE(engine_->stats(loc).ok());
  // Supervised from then on.
  ASSERT_TRUE(engine_->stop_all().ok());
  EXPECT_FALSE(process_alive(pid));
  ASSERT_TRUE(engine_->ensure_shared().ok());
  EXPECT_TRUE(connect(loc).ok());
}

TEST_F(PostgresEngineTest, DedicatedPlanGetsAnInstanceOfItsOwn) {
  const auto shared = provision("addon-small");
  // Asked about before it exists: not found, and nothing made that would miss the plan later.
  DatabaseLocation early{"addon-big", "localhost", 1, "d", "u", "p"};
  EXPECT_EQ(engine_->stats(early).error().code, ErrorCode::kNotFound);
  const auto loc = provision("addon-big", "standard-0");
  EXPECT_EQ(loc.instance, "addon-big");
  EXPECT_EQ(loc.host, "localhost");
  EXPECT_NE(loc.port, shared.port);
  const fs::path dir = postgres_dir() / "dedicated" / "addon-big";
  const pid_t pid = pid_in(dir);
  EXPECT_TRUE(process_alive(pid));
  EXPECT_NE(pid, pid_in(shared_dir()));
  {
    auto conn = connect(loc);
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    EXPECT_EQ(scalar(*conn, "SHOW max_connections"), "123");  // 120 + the admin's reserve
    EXPECT_EQ(
        scalar(*conn, "SELECT count(*) FROM pg_database WHERE datname = '" + shared.database + "'"),
        "0");
    EXPECT_EQ(provision("addon-big", "standard-0"), loc);
    auto stats = engine_->stats(loc);
    ASSERT_TRUE(stats.ok()) << stats.error().message;
    EXPECT_EQ(stats->connections, 1);
  }
  auto url = engine_->admin_url(loc);
  ASSERT_TRUE(url.ok());
  EXPECT_NE(url->find(":" + std::to_string(loc.port) + "/" + loc.database), std::string::npos);

  if (::geteuid() == 0) {
    struct stat st {};
    ASSERT_EQ(::stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, postgres_runner().value()->uid);
    EXPECT_EQ(st.st_mode & 07777, 0700U);
    ASSERT_EQ(::stat(postgres_dir().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0711U);
    ASSERT_EQ(::stat((dir / "admin-password").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U);
  }

  ASSERT_TRUE(engine_->deprovision(loc).ok());
  EXPECT_FALSE(process_alive(pid));
  EXPECT_FALSE(fs::exists(dir));
  ASSERT_TRUE(engine_->deprovision(loc).ok());
  auto gone = engine_->stats(loc);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(engine_->supervise().ok());  // a removed instance is not brought back
  EXPECT_FALSE(fs::exists(dir));
}

TEST_F(PostgresEngineTest, AnExistingServerCanHoldTheSharedTier) {
  provision("addon-bootstrap");  // the embedded cluster stands in for an existing server
  DatabaseLocation where{std::string(kSharedInstance), "localhost", 0, "postgres", "", ""};
  auto admin_url = engine_->admin_url(where);
  ASSERT_TRUE(admin_url.ok());
  EngineOptions opts = options();
  opts.data_dir = *root_ / "other-data";
  opts.shared_server_url = *admin_url;
  auto external = Engine::open(opts);
  ASSERT_TRUE(external.ok()) << external.error().message;
  auto loc = (*external)->provision("addon-ext", plan("essential-1"));
  ASSERT_TRUE(loc.ok()) << loc.error().message;
  EXPECT_EQ(loc->instance, "external");
  EXPECT_EQ(loc->host, "127.0.0.1");
  auto conn = connect(*loc);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  EXPECT_FALSE((*external)->shared_cluster_exists());
  ASSERT_TRUE((*external)->deprovision(*loc).ok());
  EXPECT_FALSE(connect(*loc).ok());
  extra_engines().push_back(std::move(*external));

  opts.shared_server_url = "postgres://admin:s3cret@[::1/postgres";
  auto bad = Engine::open(opts);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidParams);
  EXPECT_EQ(bad.error().message.find("s3cret"), std::string::npos) << bad.error().message;
}

// Heroku's databases require TLS and apps say so (sslmode=require, Django's ssl_require): the
// servers speak it with the installation's CA-signed certificate.
TEST_F(PostgresEngineTest, ServersSpeakTlsWithTheInstallationsCertificate) {
  auto tls = daemon::ensure_tls_material(*root_ / "tls", {"localhost", "127.0.0.1"}, "postgres");
  ASSERT_TRUE(tls.ok()) << tls.error().message;
  EngineOptions opts = options();
  opts.data_dir = *root_ / "tls-data";
  opts.tls = TlsFiles{tls->server_chain, tls->server_key};
  auto engine = Engine::open(opts);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  auto loc = (*engine)->provision("addon-tls", plan("essential-0"));
  extra_engines().push_back(std::move(*engine));
  ASSERT_TRUE(loc.ok()) << loc.error().message;
  for (const char* mode : {"require", "verify-full"}) {
    ConnectParams params = as_tenant(*loc, loc->database);
    params.set("sslmode", mode).set("sslrootcert", tls->ca_certificate.string());
    auto conn = Connection::open(params);
    ASSERT_TRUE(conn.ok()) << mode << ": " << conn.error().message;
    EXPECT_EQ(scalar(*conn, "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()"),
              "true");
  }
  // The server's copy of the key is its own, unreadable by others.
  const fs::path key = opts.data_dir / "postgres" / "shared" / "tls" / "server.key";
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
}

TEST_F(PostgresEngineTest, BadInputChangesNothing) {
  for (const char* id : {"", "../etc", "a b", "x/y"}) {
    auto loc = engine_->provision(id, plan("standard-0"));
    ASSERT_FALSE(loc.ok()) << id;
    EXPECT_EQ(loc.error().code, ErrorCode::kInvalidParams);
  }
  DatabaseLocation missing{"no-such-instance", "localhost", 1, "d", "u", "p"};
  auto stats = engine_->stats(missing);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(postgres_dir() / "dedicated" / "no-such-instance" / "data"));
  EXPECT_EQ(engine_->ensure_running(missing).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace slipway::addons::postgres
