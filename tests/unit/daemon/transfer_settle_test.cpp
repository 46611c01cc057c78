// A restore cut short by a stop of the control plane after it claimed its add-on's database: at
// the next start the transfer service tells from the work databases left on the real
// PostgreSQL server whether the swap committed, and records the transfer accordingly.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "../addons/postgres_test_support.h"
#include "daemon/postgres_provider.h"
#include "daemon/transfer_job.h"
#include "daemon/transfer_service.h"
#include "store/blob_store.h"
#include "store/store.h"

namespace slipway::daemon {
namespace {

namespace pg = addons::postgres;
using pg::testing::scalar;
using slipway::testing::TempDir;

class TransferSettleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = pg::Engine::open(pg::testing::sandbox_options(dir_.path() / "pg"));
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    provider_ = std::make_unique<PostgresProvider>(std::move(*engine));
    auto opened = store::Store::open(dir_.path() / "state.db");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
    owner_ = *store_->ensure_account("dev@example.com");
    app_ = *store_->create_app({"shop", "us", "heroku-24"}, owner_);
    auto created = store_->create_addon(
        app_, owner_, store::NewAddon{"heroku-postgresql", "essential-0", {"pg-a"}, {"DATABASE"}});
    ASSERT_TRUE(created.ok()) << created.error().message;
    addon_ = created->addon;
    auto resource = provider_->provision(addon_);
    ASSERT_TRUE(resource.ok()) << resource.error().message;
    ASSERT_TRUE(
        store_->finish_provisioning(addon_.id, resource->resource_json, resource->url).ok());
    addon_ = *store_->find_addon(addon_.id);
    location_ = database_location(addon_).value();
  }
  void TearDown() override {
    if (provider_) {
      EXPECT_TRUE(provider_->engine().stop_all().ok());
    }
  }

  // A started transfer of the add-on: a restore into it, or (restore false) a capture of it.
  store::Transfer started(bool restore) {
    store::NewTransfer spec;
    spec.app_id = app_.id;
    spec.addon_id = addon_.id;
    spec.from_type = restore ? "gof3r" : "pg_dump";
    spec.to_type = restore ? "pg_restore" : "gof3r";
    if (restore) spec.into_addon_id = addon_.id;
    spec.job_json = restore ? R"({"kind":"restore"})" : R"({"kind":"backup"})";
    auto t = store_->create_transfer(spec);
    EXPECT_TRUE(t.ok());
    EXPECT_TRUE(store_->start_transfer(t->id).ok());
    return *t;
  }
  // A restore into the add-on that got as far as claiming its database.
  store::Transfer claimed_restore() {
    auto t = started(/*restore=*/true);
    EXPECT_TRUE(store_->claim_replacement(t.id).ok());
    return t;
  }

  void run_as_tenant(const std::string& database, const std::string& sql) {
    auto conn = pg::Connection::open(pg::testing::as_tenant(location_, database));
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    ASSERT_TRUE(conn->query(sql).ok()) << sql;
  }

  // Starts a transfer service on the store, as the daemon does after a restart, until every
  // transfer in `ids` is finished (30 s at most).
  void restart_until_finished(const std::vector<std::string>& ids) {
    store::BlobStore blobs(dir_.path() / "blobs");
    TransferSettings settings;
    settings.data_dir = dir_.path();
    settings.api_url = std::make_shared<const std::string>("https://127.0.0.1:1");
    settings.workers = 1;
    TransferService service(*store_, blobs, *provider_, settings);
    service.start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    auto all_finished = [&] {
      for (const auto& id : ids) {
        if (!store_->find_transfer_by_id(id)->finished_at) return false;
      }
      return true;
    };
    while (!all_finished() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    service.stop();
  }

  std::string last_log(const std::string& id) {
    auto t = store_->find_transfer_by_id(id);
    return t && !t->logs.empty() ? t->logs.back().message : "";
  }

  bool has_work_databases(const store::Transfer& t) {
    auto keys = provider_->engine().work_database_keys(location_);
    EXPECT_TRUE(keys.ok());
    return keys.ok() && std::find(keys->begin(), keys->end(), work_key(t.id)) != keys->end();
  }

  TempDir dir_;
  std::unique_ptr<PostgresProvider> provider_;
  std::unique_ptr<store::Store> store_;
  store::Account owner_;
  store::App app_;
  store::Addon addon_;
  pg::DatabaseLocation location_;
};

TEST_F(TransferSettleTest, ARestoreWhoseSwapCommittedIsRecordedAsSucceeded) {
  ASSERT_NO_FATAL_FAILURE(run_as_tenant(location_.database, "CREATE TABLE before_restore (x int)"));
  const auto swapped = claimed_restore();
  ASSERT_TRUE(provider_->engine().stage(location_, work_key(swapped.id)).ok());
  ASSERT_NO_FATAL_FAILURE(run_as_tenant(pg::staged_name(work_key(swapped.id)),
                                        "CREATE TABLE restored AS SELECT 1 AS x"));
  ASSERT_TRUE(provider_->engine().swap_in(location_, work_key(swapped.id)).ok());
  const auto not_swapped = claimed_restore();
  ASSERT_TRUE(provider_->engine().stage(location_, work_key(not_swapped.id)).ok());

  restart_until_finished({swapped.id, not_swapped.id});

  auto done = store_->find_transfer_by_id(swapped.id);
  ASSERT_TRUE(done->finished_at.has_value());
  EXPECT_EQ(done->succeeded, true);
  EXPECT_NE(last_log(swapped.id).find("the restore is complete"), std::string::npos)
      << last_log(swapped.id);
  auto failed = store_->find_transfer_by_id(not_swapped.id);
  ASSERT_TRUE(failed->finished_at.has_value());
  EXPECT_EQ(failed->succeeded, false);
  EXPECT_NE(last_log(not_swapped.id).find("the database was not changed"), std::string::npos)
      << last_log(not_swapped.id);

  // The add-on keeps what the committed swap put in place; both transfers' leftovers are gone.
  auto conn = pg::testing::connect(location_);
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ(scalar(*conn, "SELECT count(*) FROM restored"), "1");
  EXPECT_EQ(scalar(*conn, "SELECT count(*) FROM pg_tables WHERE tablename = 'before_restore'"),
            "0");
  EXPECT_FALSE(has_work_databases(swapped));
  EXPECT_FALSE(has_work_databases(not_swapped));
}

TEST_F(TransferSettleTest, ACaptureOrAClaimedRestoreLeavingNothingToTellIsRecordedAsFailed) {
  const auto capture = started(/*restore=*/false);
  const auto neither = claimed_restore();  // claimed, but nothing left on the server to tell

  restart_until_finished({capture.id, neither.id});

  EXPECT_EQ(store_->find_transfer_by_id(capture.id)->succeeded, false);
  EXPECT_NE(last_log(capture.id).find("restarted while this transfer ran"), std::string::npos);
  EXPECT_EQ(store_->find_transfer_by_id(neither.id)->succeeded, false);
  EXPECT_NE(last_log(neither.id).find("check its data"), std::string::npos) << last_log(neither.id);
}

}  // namespace
}  // namespace slipway::daemon
