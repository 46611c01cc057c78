// The runtime agent's reconciler: makes the dynos that run match the desired state files,
// supervises them (output to the app log, crash restarts with cool-off, boot timeouts, graceful
// stops), and publishes dyno status and the routing table. Single-threaded: one poll loop.
// Web dynos are replaced preboot-style: the new one starts first and the old one keeps serving
// until the new one is up, so a restart, config change or release does not interrupt traffic.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/state_files.h"

namespace slipway::runtime {

struct SupervisorOptions {
  std::chrono::seconds boot_timeout{60};  // web dynos must bind $PORT within this (R10)
  std::chrono::seconds stop_grace{30};    // SIGTERM, then SIGKILL after this
};

class Supervisor {
 public:
  Supervisor(Paths paths, SupervisorOptions options);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Runs until `stop` becomes true, then stops every dyno (within the grace period) and returns.
  void run(const std::atomic<bool>& stop);

 private:
  using Clock = std::chrono::steady_clock;
  struct Dyno;

  void reconcile(const std::vector<DesiredApp>& desired);
  void reconcile_app(const DesiredApp& app);
  bool ensure_unpacked(const DesiredApp& app, std::filesystem::path& app_dir);
  void start(Dyno& dyno, const DesiredApp& app, const std::filesystem::path& app_dir);
  void retire(std::unique_ptr<Dyno> dyno, const std::string& reason);
  void replace(std::unique_ptr<Dyno> dyno);
  void hand_over();
  void poll_output(int timeout_ms);
  void drain(Dyno& dyno, bool final);
  void reap();
  void check_boot_and_stops();
  void publish();
  void log(const Dyno& dyno, const std::string& text) const;

  Paths paths_;
  SupervisorOptions options_;
  std::map<std::string, std::unique_ptr<Dyno>> active_;  // "<app id>/<dyno name>"
  std::vector<std::unique_ptr<Dyno>> outgoing_;  // replaced web dynos, serving until handed over
  std::vector<std::unique_ptr<Dyno>> stopping_;
  std::map<std::string, DesiredApp> desired_;            // by app id
  std::map<std::string, std::string> published_status_;  // app id -> last JSON-ish signature
  std::string published_routes_;
  std::set<std::string> unpack_failed_;  // release ids whose slug could not be unpacked
};

}  // namespace slipway::runtime
