#include "daemon/backup_scheduler.h"

#include <spdlog/spdlog.h>

#include "common/local_hour.h"
#include "common/time.h"

namespace slipway::daemon {

BackupScheduler::BackupScheduler(store::Store& store, ScheduledCapture capture,
                                 BackupSchedulerSettings settings)
    : store_(store), capture_(std::move(capture)), settings_(std::move(settings)) {}

BackupScheduler::~BackupScheduler() { stop(); }

void BackupScheduler::start() {
  std::lock_guard lock(mutex_);
  if (worker_.joinable()) return;
  stopping_ = false;
  worker_ = std::thread([this] { run(); });
}

void BackupScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void BackupScheduler::run() {
  for (;;) {
    run_due();  // at once on start: catches up what came due while the server was down
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, settings_.tick, [this] { return stopping_; })) return;
  }
}

int BackupScheduler::run_due() {
  const auto now = std::chrono::floor<std::chrono::seconds>(settings_.clock());
  const std::string now_iso = iso8601(now);
  auto due = store_.due_backup_schedules(now_iso);
  if (!due) {
    spdlog::warn("backup scheduler: {}", due.error().message);
    return 0;
  }
  int ran = 0;
  for (const auto& schedule : *due) {
    auto addon = store_.find_addon(schedule.addon_id);
    if (!addon) continue;  // destroyed meanwhile; its schedule went with it
    // From now, not from the missed run: one catch-up at most, then back to the daily hour.
    auto next = now + std::chrono::hours(24);
    if (auto zone = load_zone(schedule.timezone, settings_.zoneinfo_dir)) {
      next = next_local_hour(*zone, schedule.hour, now);
    } else {
      spdlog::error("backup schedule of {}: {}", addon->name, zone.error().message);
    }
    if (auto started = capture_(*addon, schedule.name); !started) {
      spdlog::warn("scheduled backup of {} failed to start: {}", addon->name,
                   started.error().message);
    }
    ++ran;
    // Replaced or removed while it ran: the newer schedule keeps its own next run.
    auto recorded = store_.record_backup_schedule_run(schedule.id, schedule.next_run_at, now_iso,
                                                      iso8601(next));
    if (!recorded) spdlog::warn("backup scheduler: {}", recorded.error().message);
  }
  return ran;
}

}  // namespace slipway::daemon
