// The add-on worker: implements the API's AddonControl over the providers, and provisions and
// deprovisions in the background so API calls return at once (Heroku's 'provisioning' state).
// Desired state is the store: every add-on 'provisioning' gets provisioned and every one
// 'deprovisioning' released, so a restart simply resumes (reconciling, never replaying).
//
// Threads: one worker, woken by addons_changed() and every few seconds (supervision).
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "api/addon_control.h"
#include "api/release_control.h"
#include "daemon/addon_provider.h"
#include "daemon/plan_change.h"
#include "store/store.h"

namespace slipway::daemon {

struct AddonServiceSettings {
  std::chrono::milliseconds tick{2000};
  // A provisioning that keeps failing (its server down, say) is retried for this long, then
  // shown as failed ('deprovisioned' with the reason) with nothing left behind.
  std::chrono::seconds provision_deadline{120};
};

class AddonService : public api::AddonControl {
 public:
  AddonService(store::Store& store, api::ReleaseControl& releases,
               std::vector<std::unique_ptr<AddonProvider>> providers,
               AddonServiceSettings settings);
  ~AddonService() override;  // stops the worker
  AddonService(const AddonService&) = delete;
  AddonService& operator=(const AddonService&) = delete;

  void start();
  void stop();

  const std::vector<api::AddonServiceInfo>& services() const override { return services_; }
  Result<api::AddonPlanInfo> find_plan(const api::AddonServiceInfo& service,
                                       std::string_view plan) const override;
  Status check_options(const api::AddonServiceInfo& service,
                       const std::map<std::string, std::string>& options) const override;
  void addons_changed() override;

  AddonProvider* provider(std::string_view service) const;
  // Plan changes run on this worker too, after provisioning (set before start()).
  void set_plan_changes(PlanChanges* changes) { plan_changes_ = changes; }

 private:
  void run();
  void work_once();
  void provision(const store::Addon& addon);
  void deprovision(const store::Addon& addon);

  store::Store& store_;
  api::ReleaseControl& releases_;
  std::vector<std::unique_ptr<AddonProvider>> providers_;
  std::vector<api::AddonServiceInfo> services_;
  AddonServiceSettings settings_;
  PlanChanges* plan_changes_ = nullptr;
  std::map<std::string, std::chrono::steady_clock::time_point> first_attempt_;  // by add-on id
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool pending_ = false;
  std::thread worker_;
};

}  // namespace slipway::daemon
