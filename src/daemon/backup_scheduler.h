// The backup scheduler: runs each add-on's daily backup schedule (pg:backups:schedule) when it
// is due. Desired state is the store: a schedule is due when its next_run_at has passed, so a
// restart simply looks again and catches up a run missed while down -- once, never a burst,
// because the next run is always computed from now.
//
// Threads: one, waking every `tick` (and at start). It never captures itself: it calls the
// capture callback handed in by the daemon, once per due schedule.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"
#include "common/zoneinfo.h"
#include "store/store.h"

namespace slipway::daemon {

// Starts a backup of `addon` on behalf of its schedule `schedule_name` ("DATABASE_URL"). Should
// return quickly (start the capture, not wait for it); an error is logged, and the schedule
// still moves on to its next day (no retry storm while a database is down).
using ScheduledCapture =
    std::function<Status(const store::Addon& addon, const std::string& schedule_name)>;

struct BackupSchedulerSettings {
  std::chrono::milliseconds tick{15000};
  std::filesystem::path zoneinfo_dir{kZoneinfoDir};
  std::function<std::chrono::system_clock::time_point()> clock = std::chrono::system_clock::now;
};

class BackupScheduler {
 public:
  BackupScheduler(store::Store& store, ScheduledCapture capture, BackupSchedulerSettings settings);
  ~BackupScheduler();  // stops the thread
  BackupScheduler(const BackupScheduler&) = delete;
  BackupScheduler& operator=(const BackupScheduler&) = delete;

  void start();
  void stop();

  // Runs every schedule due at the clock's now and records each run and its next one; returns
  // how many ran. The thread calls this; tests call it directly with a fake clock.
  int run_due();

 private:
  void run();

  store::Store& store_;
  ScheduledCapture capture_;
  BackupSchedulerSettings settings_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace slipway::daemon
