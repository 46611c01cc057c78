// The routing table the router serves from: DATA_DIR/runtime/routes.json, written by the
// runtime agent, re-read within ~100 ms of every change, and at once when a request finds no
// dyno to go to. The last good table stays in use when the file is missing or unreadable, so the
// router keeps working on its last known state.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/state_files.h"

namespace slipway::router {

using Table = std::map<std::string, runtime::AppRoute>;

class RouteTable {
 public:
  explicit RouteTable(std::filesystem::path file);
  ~RouteTable();
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  std::shared_ptr<const Table> current() const;
  // The file's latest version, re-read now if it changed. The runtime writes the routes before
  // the dyno states, so a request sent after `heroku ps` showed a dyno up finds it here.
  std::shared_ptr<const Table> refreshed();

 private:
  void watch();
  void reload();

  std::filesystem::path file_;
  const std::uint64_t id_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Table> table_;
  std::atomic<std::uint64_t> version_{1};  // bumped with every new table
  std::mutex reload_mutex_;                // one reader of the file at a time
  std::string seen_text_;                  // the file as last read; guarded by reload_mutex_
  std::atomic<bool> stop_{false};
  std::thread watcher_;
};

}  // namespace slipway::router
