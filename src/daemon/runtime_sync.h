// The control plane's side of the runtime: turns the store's view of an app (current release,
// its slug and config, formation, maintenance, restart requests) into the agent's desired-state
// file, and reads back the agent's dyno status. Implements api::RuntimeControl.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "api/runtime_control.h"
#include "runtime/state_files.h"
#include "store/store.h"

namespace slipway::daemon {

class RuntimeSync : public api::RuntimeControl {
 public:
  RuntimeSync(store::Store& store, runtime::Paths paths);

  // Reconciles every app's desired state with the store (at start: after a crash the files may
  // be behind the store, and apps may have been destroyed meanwhile).
  void sync_all();

  void app_changed(const std::string& app_id) override;
  void app_destroyed(const std::string& app_id) override;
  std::vector<api::DynoView> dynos(const std::string& app_id) override;
  void restart(const std::string& app_id, const std::string& type,
               const std::string& dyno) override;

 private:
  struct RestartCounters {
    std::int64_t all = 0;
    std::map<std::string, std::int64_t> by_type;
    std::map<std::string, std::int64_t> by_dyno;
  };
  void publish(const std::string& app_id);

  store::Store& store_;
  runtime::Paths paths_;
  std::mutex mutex_;  // one writer of desired-state files at a time
  std::map<std::string, RestartCounters> restarts_;
};

}  // namespace slipway::daemon
