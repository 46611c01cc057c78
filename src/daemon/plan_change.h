// Add-on plan changes (`heroku addons:upgrade`), carried out on the add-on worker's thread:
// make the new resource and copy the data into it while the app keeps running on the old one
// (each pass of the worker looks how far the copy is), then the cut-over — the app in
// maintenance, the old resource fenced (no more writes), the last writes copied and everything
// verified, the add-on and every attachment's config var switched in releases (dynos restart),
// maintenance restored. Any failure before the switch rolls back: the old resource unfenced,
// maintenance restored, the new resource released, the reason shown as the add-on's
// provision_message. The old resource is kept for a rollback window and then released.
//
// Crash recovery is reconciling what the store says: a change 'pending' carries on (provisioning
// is idempotent by key, the copy resumes or starts again), one caught in 'cutover' is rolled
// back, one 'switched' is finished.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "api/release_control.h"
#include "api/runtime_control.h"
#include "daemon/addon_provider.h"
#include "store/store.h"

namespace slipway::daemon {

// What a service provides for plan changes. Every method is idempotent.
class PlanMover {
 public:
  virtual ~PlanMover() = default;
  // The new resource, on change.to_plan, under change.resource_key.
  virtual Result<ProvisionedResource> provision_target(const store::PlanChange& change) = 0;
  // Starts copying the old resource into the new one while the old one still serves, or looks
  // how far that copy is: true once the cut-over has only the last writes left to copy (or
  // when nothing could be copied ahead, and the cut-over copies everything).
  virtual Result<bool> sync_target(const store::PlanChange& change) = 0;
  // Fenced: the old resource takes no more writes (its open sessions ended); false undoes it.
  virtual Status fence_source(const store::PlanChange& change, bool fenced) = 0;
  // Copies what the old resource holds and the new one does not yet, and checks the copy is
  // complete.
  virtual Status copy_to_target(const store::PlanChange& change) = 0;
  // Whatever part of the new resource exists (after a failure).
  virtual Status release_target(const store::PlanChange& change) = 0;
  // The old resource, once the rollback window is over.
  virtual Status release_source(const store::PlanChange& change) = 0;
};

struct PlanChangeSettings {
  std::chrono::seconds keep_source{std::chrono::hours(24)};
  // How long the copy ahead of the cut-over may take before the change gives up.
  std::chrono::seconds sync_timeout{std::chrono::hours(24)};
  // How long the cut-over waits, still in maintenance, for the new releases to go live and the
  // dynos to run them.
  std::chrono::seconds settle_timeout{180};
};

class PlanChanges {
 public:
  PlanChanges(store::Store& store, api::ReleaseControl& releases, api::RuntimeControl& runtime,
              PlanChangeSettings settings);
  void add_mover(const std::string& service, PlanMover& mover) { movers_[service] = &mover; }

  // Carries every change in progress forward, then releases what is due. Blocks for the whole
  // of a change; called only from the add-on worker's thread.
  void work_once();

 private:
  void run(const store::PlanChange& change, PlanMover& mover);
  void cut_over(const store::PlanChange& synced, PlanMover& mover);
  void roll_back(const store::PlanChange& change, PlanMover& mover, const std::string& reason);
  void settle(const store::PlanChange& change, const std::vector<store::Release>& releases);
  void finish(const store::PlanChange& change);
  void clean();
  PlanMover* mover(const std::string& service) const;

  store::Store& store_;
  api::ReleaseControl& releases_;
  api::RuntimeControl& runtime_;
  PlanChangeSettings settings_;
  std::map<std::string, PlanMover*> movers_;
  // When this run of the control plane first saw each change copying (by change id).
  std::map<std::string, std::chrono::steady_clock::time_point> sync_started_;
};

}  // namespace slipway::daemon
