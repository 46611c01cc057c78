// The backup scheduler's due logic, with a fake clock over a real store: what runs when, the
// catch-up after a restart (once, never a burst), replaced and removed schedules.
#include "daemon/backup_scheduler.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/ids.h"
#include "common/time.h"

namespace slipway::daemon {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;

system_clock::time_point at(int y, unsigned m, unsigned d, int hh, int mm = 0) {
  return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm};
}

class BackupSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slipway-scheduler-test-" + random_hex(6));
    fs::create_directories(dir_);
    auto opened = store::Store::open(dir_ / "state.db");
    ASSERT_TRUE(opened.ok());
    store_ = std::move(*opened);
    const auto owner = *store_->ensure_account("dev@example.com");
    const auto app = *store_->create_app({"shop", "us", "heroku-24"}, owner);
    auto created = store_->create_addon(
        app, owner, {"heroku-postgresql", "essential-0", {"pg-a"}, {"DATABASE"}});
    ASSERT_TRUE(created.ok());
    addon_id_ = created->addon.id;
    ASSERT_TRUE(store_->finish_provisioning(addon_id_, "{}", "postgres://x").ok());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  // A scheduler whose clock reads `now_`, recording each capture.
  std::unique_ptr<BackupScheduler> scheduler() {
    BackupSchedulerSettings settings;
    settings.clock = [this] { return now_; };
    return std::make_unique<BackupScheduler>(
        *store_,
        [this](const store::Addon& addon, const std::string& name) -> Status {
          captures_.push_back(addon.name + " " + name + " " + iso8601(now_));
          return {};
        },
        settings);
  }

  void schedule(int hour, const std::string& zone, system_clock::time_point next_run) {
    ASSERT_TRUE(
        store_->put_backup_schedule(addon_id_, {"DATABASE_URL", hour, zone, iso8601(next_run)})
            .ok());
  }

  std::string next_run() { return store_->backup_schedules(addon_id_)->front().next_run_at; }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  std::string addon_id_;
  system_clock::time_point now_;
  std::vector<std::string> captures_;
};

TEST_F(BackupSchedulerTest, RunsWhenDueAndMovesToTheNextDay) {
  schedule(2, "America/New_York", at(2024, 7, 2, 6));  // 02:00 EDT
  auto s = scheduler();
  now_ = at(2024, 7, 2, 5, 59);
  EXPECT_EQ(s->run_due(), 0);
  now_ = at(2024, 7, 2, 6, 0);
  EXPECT_EQ(s->run_due(), 1);
  EXPECT_EQ(s->run_due(), 0);  // once
  EXPECT_EQ(captures_, std::vector<std::string>{"pg-a DATABASE_URL 2024-07-02T06:00:00Z"});
  EXPECT_EQ(next_run(), "2024-07-03T06:00:00Z");
  EXPECT_EQ(store_->backup_schedules(addon_id_)->front().last_run_at, "2024-07-02T06:00:00Z");
}

TEST_F(BackupSchedulerTest, ARestartCatchesUpOnceNotInABurst) {
  schedule(2, "UTC", at(2024, 7, 2, 2));
  // Down for three days and a bit: one catch-up run, then the daily hour again.
  now_ = at(2024, 7, 5, 9, 30);
  auto s = scheduler();
  EXPECT_EQ(s->run_due(), 1);
  EXPECT_EQ(s->run_due(), 0);
  EXPECT_EQ(next_run(), "2024-07-06T02:00:00Z");
  now_ = at(2024, 7, 6, 2);
  EXPECT_EQ(scheduler()->run_due(), 1);
  EXPECT_EQ(captures_.size(), 2U);
}

TEST_F(BackupSchedulerTest, AcrossTheSpringChange) {
  schedule(2, "America/New_York", at(2024, 3, 9, 7));
  auto s = scheduler();
  for (auto t : {at(2024, 3, 9, 7), at(2024, 3, 10, 7), at(2024, 3, 11, 6)}) {
    now_ = t - seconds(1);
    EXPECT_EQ(s->run_due(), 0) << iso8601(t);
    now_ = t;
    EXPECT_EQ(s->run_due(), 1) << iso8601(t);
  }
  EXPECT_EQ(next_run(), "2024-03-12T06:00:00Z");
}

TEST_F(BackupSchedulerTest, ReplacedRemovedAndDestroyed) {
  schedule(2, "UTC", at(2024, 7, 2, 2));
  const auto first_id = store_->backup_schedules(addon_id_)->front().id;
  schedule(5, "Europe/London", at(2024, 7, 2, 4));  // replaces: one schedule, same id
  auto all = store_->backup_schedules(addon_id_);
  ASSERT_EQ(all->size(), 1U);
  EXPECT_EQ(all->front().id, first_id);
  EXPECT_EQ(all->front().hour, 5);
  auto s = scheduler();
  now_ = at(2024, 7, 2, 3);
  EXPECT_EQ(s->run_due(), 0);  // the old 02:00 is gone
  now_ = at(2024, 7, 2, 4);
  EXPECT_EQ(s->run_due(), 1);

  EXPECT_FALSE(store_->delete_backup_schedule(addon_id_, "nope").ok());
  ASSERT_TRUE(store_->delete_backup_schedule(addon_id_, first_id).ok());
  now_ = at(2024, 8, 1, 4);
  EXPECT_EQ(s->run_due(), 0);

  // A destroyed add-on's schedule never runs, and goes with the add-on.
  schedule(2, "UTC", at(2024, 8, 2, 2));
  const auto owner = *store_->ensure_account("dev@example.com");
  ASSERT_TRUE(store_->destroy_addon(owner, addon_id_).ok());
  now_ = at(2024, 8, 3, 0);
  EXPECT_EQ(s->run_due(), 0);
  ASSERT_TRUE(store_->forget_addon(addon_id_).ok());
  EXPECT_TRUE(store_->backup_schedules(addon_id_)->empty());
}

TEST_F(BackupSchedulerTest, AFailedCaptureStillMovesOn) {
  schedule(2, "UTC", at(2024, 7, 2, 2));
  BackupSchedulerSettings settings;
  settings.clock = [this] { return now_; };
  int calls = 0;
  BackupScheduler s(
      *store_,
      [&calls](const store::Addon&, const std::string&) -> Status {
        ++calls;
        return make_error(ErrorCode::kInternal, "database down");
      },
      settings);
  now_ = at(2024, 7, 2, 2);
  EXPECT_EQ(s.run_due(), 1);
  EXPECT_EQ(s.run_due(), 0);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(next_run(), "2024-07-03T02:00:00Z");
}

}  // namespace
}  // namespace slipway::daemon
