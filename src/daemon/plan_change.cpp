#include "daemon/plan_change.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "common/time.h"

namespace slipway::daemon {

using Clock = std::chrono::steady_clock;

PlanChanges::PlanChanges(store::Store& store, api::ReleaseControl& releases,
                         api::RuntimeControl& runtime, PlanChangeSettings settings)
    : store_(store), releases_(releases), runtime_(runtime), settings_(settings) {}

PlanMover* PlanChanges::mover(const std::string& service) const {
  const auto it = movers_.find(service);
  return it == movers_.end() ? nullptr : it->second;
}

void PlanChanges::work_once() {
  if (auto changes = store_.plan_changes_in_progress()) {
    for (const auto& change : *changes) {
      PlanMover* m = mover(change.service);
      if (m == nullptr) {
        (void)store_.fail_plan_change(change.id, change.service + " cannot change plan here.");
      } else if (change.state == "pending") {
        run(change, *m);
      } else if (change.state == "cutover") {
        // Only a previous run of the control plane leaves one here (run() never returns
        // mid-cut-over): the switch did not happen, so the old database is still the truth.
        roll_back(change, *m, "the cut-over was interrupted by a restart of the control plane");
      } else {
        finish(change);  // 'switched': only maintenance was left to restore
      }
    }
  }
  clean();
}

void PlanChanges::run(const store::PlanChange& pending, PlanMover& mover) {
  store::PlanChange change = pending;
  if (!change.target_json) {
    spdlog::info("add-on {}: changing plan {} -> {}", change.addon_name, change.from_plan,
                 change.to_plan);
    auto target = mover.provision_target(change);
    if (!target) {
      roll_back(change, mover,
                "provisioning " + change.to_plan + " failed: " + target.error().message);
      return;
    }
    auto recorded = store_.record_plan_change_target(change.id, target->resource_json, target->url);
    if (!recorded) {
      roll_back(change, mover, recorded.error().message);
      return;
    }
    change = *recorded;
  }
  auto synced = mover.sync_target(change);
  if (!synced) {
    sync_started_.erase(change.id);
    roll_back(change, mover, "copying the data failed: " + synced.error().message);
    return;
  }
  if (!*synced) {
    const auto since = sync_started_.try_emplace(change.id, Clock::now()).first->second;
    if (Clock::now() - since > settings_.sync_timeout) {
      sync_started_.erase(change.id);
      roll_back(change, mover, "copying the data took too long");
    }
    return;  // the worker's next pass looks again
  }
  sync_started_.erase(change.id);
  cut_over(change, mover);
}

void PlanChanges::cut_over(const store::PlanChange& synced, PlanMover& mover) {
  // The cut-over: from here the app is in maintenance until finish() or roll_back().
  const auto started = Clock::now();
  auto change = store_.enter_cutover(synced.id);
  if (!change) {
    roll_back(synced, mover, change.error().message);
    return;
  }
  runtime_.app_changed(change->app_id);
  if (auto fenced = mover.fence_source(*change, true); !fenced) {
    roll_back(*change, mover, "stopping writes failed: " + fenced.error().message);
    return;
  }
  if (auto copied = mover.copy_to_target(*change); !copied) {
    roll_back(*change, mover, "copying the data failed: " + copied.error().message);
    return;
  }
  const std::string keep_until = iso8601(std::chrono::system_clock::now() + settings_.keep_source);
  std::vector<store::Release> made;
  auto switched = releases_.follow_releases([&]() -> Result<std::vector<store::Release>> {
    auto switched_change = store_.switch_plan_change(change->id, keep_until);
    if (!switched_change) return switched_change.error();
    made = switched_change->releases;
    return made;
  });
  if (!switched) {
    roll_back(*change, mover, "switching over failed: " + switched.error().message);
    return;
  }
  settle(*change, made);
  finish(*change);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  spdlog::info("add-on {}: now on {}; the cut-over (maintenance on to off) took {} ms",
               change->addon_name, change->to_plan, ms);
}

// Still in maintenance: each new release live (its release phase run) and the app's dynos
// running it, so no dyno with the old, fenced URL serves once maintenance is off.
void PlanChanges::settle(const store::PlanChange& change,
                         const std::vector<store::Release>& releases) {
  const auto deadline = Clock::now() + settings_.settle_timeout;
  for (const auto& release : releases) {
    for (;;) {
      auto now = store_.find_release(release.app_id, release.id);
      if (!now || now->status != "pending") {
        if (now && now->status == "failed") {
          spdlog::error(
              "add-on {}: release v{} of app {} failed; that app still runs its "
              "previous release",
              change.addon_name, release.version, release.app_id);
        }
        break;
      }
      if (Clock::now() > deadline) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  for (const auto& release : releases) {
    for (;;) {
      bool all_new = true;
      for (const auto& dyno : runtime_.dynos(release.app_id)) {
        if (dyno.type == "run") continue;
        if (dyno.release_version < release.version || dyno.state != "up") all_new = false;
      }
      if (all_new) break;
      if (Clock::now() > deadline) {
        spdlog::warn("add-on {}: dynos of app {} did not all restart in time", change.addon_name,
                     release.app_id);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

void PlanChanges::finish(const store::PlanChange& change) {
  if (auto done = store_.finish_plan_change(change.id); !done) {
    spdlog::error("add-on {}: cannot finish the plan change: {}", change.addon_name,
                  done.error().message);
    return;
  }
  runtime_.app_changed(change.app_id);
}

void PlanChanges::roll_back(const store::PlanChange& change, PlanMover& mover,
                            const std::string& reason) {
  spdlog::warn("add-on {}: the change to {} failed, rolling back: {}", change.addon_name,
               change.to_plan, reason);
  if (change.state == "cutover") {
    // Writes resume on the old database before the app leaves maintenance.
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto unfenced = mover.fence_source(change, false);
      if (unfenced) break;
      spdlog::error("add-on {}: reopening the old database failed: {}", change.addon_name,
                    unfenced.error().message);
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  if (auto failed = store_.fail_plan_change(change.id, reason); !failed) {
    spdlog::error("add-on {}: cannot record the failed plan change: {}", change.addon_name,
                  failed.error().message);
  }
  if (!change.app_id.empty()) runtime_.app_changed(change.app_id);
  clean();  // the new resource goes now
}

void PlanChanges::clean() {
  auto due = store_.plan_changes_to_clean(now_iso8601());
  if (!due) return;
  for (const auto& change : *due) {
    PlanMover* m = mover(change.service);
    if (m == nullptr) continue;
    const bool done = change.state == "done";
    auto released = done ? m->release_source(change) : m->release_target(change);
    if (!released) {
      spdlog::warn("add-on {}: releasing the {} database failed (retrying): {}", change.addon_name,
                   done ? "old" : "unused new", released.error().message);
      continue;
    }
    (void)store_.mark_plan_change_cleaned(change.id);
  }
}

}  // namespace slipway::daemon
