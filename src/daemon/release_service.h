// Releases that change what runs: config changes, Slug API deploys and rollbacks (for the API)
// and builds' deploys. A release whose slug has a `release` process type is created pending
// and goes live only if its release phase (daemon/release_phase) exits 0; otherwise it is failed
// and the previous release keeps serving. One app's release phases run one at a time, in
// version order. Threads: API-made releases run their phase on threads this service owns
// (joined when it is destroyed); a build's runs on the build's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "api/release_control.h"
#include "api/runtime_control.h"
#include "store/store.h"

namespace slipway::daemon {

using OutputSink = std::function<void(std::string_view)>;

class ReleaseService : public api::ReleaseControl {
 public:
  ReleaseService(store::Store& store, api::RuntimeControl& runtime, std::filesystem::path data_dir);
  ~ReleaseService() override;  // stops (see stop), then joins its threads
  ReleaseService(const ReleaseService&) = delete;
  ReleaseService& operator=(const ReleaseService&) = delete;

  Result<store::ConfigChangeOutcome> change_config(const store::App& app,
                                                   const store::Account& user,
                                                   const store::ConfigChanges& changes,
                                                   std::size_t max_bytes) override;
  Result<store::Release> release_slug(const store::App& app, const store::Account& user,
                                      const std::string& slug_id,
                                      const std::string& description) override;
  Result<store::Release> rollback(const store::App& app, const store::Account& user,
                                  const store::Release& target) override;
  Status follow_releases(const MakeReleases& make) override;

  // A build's release of its slug, with bin/release's config var defaults set (where the app
  // has no such var) in the same transaction. Its release phase runs in the caller's thread,
  // its output going to `sink` too. Returns the release as it ended: succeeded or failed.
  Result<store::Release> release_build(const store::App& app, const store::Account& user,
                                       const std::string& slug_id, const std::string& description,
                                       const store::ConfigVars& config_defaults,
                                       const OutputSink& sink,
                                       const std::atomic<bool>* cancel = nullptr);

  // For shutdown: running release phases are stopped and waiting ones never start; each fails
  // (the previous release keeps serving), as does any made later.
  void stop();

 private:
  using Make = std::function<Result<store::Release>(const std::string& output_secret)>;
  // Makes a release with one store call; a pending one joins its app's queue, under the lock so
  // that the queue follows the store's version order.
  Result<store::Release> create(const store::App& app, const Make& make);
  // The API's releases: a pending one runs its phase on a thread of this service.
  Result<store::Release> start(const store::App& app, const Make& make);
  // After create: goes live, or (pending) runs its phase on a thread of this service.
  void launch(const store::App& app, const store::Release& release);
  // Waits for the release's turn, runs its phase and ends it (never throws).
  store::Release run_phase(const store::App& app, store::Release release, const OutputSink& sink,
                           const std::atomic<bool>* cancel = nullptr);
  void went_live(const store::App& app, const store::Release& release);

  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  store::Store& store_;
  api::RuntimeControl& runtime_;
  std::filesystem::path data_dir_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable turn_;
  std::map<std::string, std::set<std::int64_t>> queued_;  // app id -> pending versions
  std::list<Worker> workers_;
};

}  // namespace slipway::daemon
