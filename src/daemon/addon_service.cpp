#include "daemon/addon_service.h"

#include <spdlog/spdlog.h>

namespace slipway::daemon {

AddonService::AddonService(store::Store& store, api::ReleaseControl& releases,
                           std::vector<std::unique_ptr<AddonProvider>> providers,
                           AddonServiceSettings settings)
    : store_(store), releases_(releases), providers_(std::move(providers)), settings_(settings) {
  for (const auto& p : providers_) services_.push_back(p->info());
}

AddonService::~AddonService() { stop(); }

void AddonService::start() {
  std::lock_guard lock(mutex_);
  if (worker_.joinable()) return;
  stopping_ = false;
  pending_ = true;  // resume whatever a previous run left 'provisioning' or 'deprovisioning'
  worker_ = std::thread([this] { run(); });
}

void AddonService::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (!worker_.joinable()) return;
  worker_.join();
  for (const auto& p : providers_) p->shutdown();
}

AddonProvider* AddonService::provider(std::string_view service) const {
  for (const auto& p : providers_) {
    if (p->info().name == service) return p.get();
  }
  return nullptr;
}

Result<api::AddonPlanInfo> AddonService::find_plan(const api::AddonServiceInfo& service,
                                                   std::string_view plan) const {
  auto* p = provider(service.name);
  if (p == nullptr) return make_error(ErrorCode::kNotFound, "Unknown add-on service.");
  return p->find_plan(plan);
}

Status AddonService::check_options(const api::AddonServiceInfo& service,
                                   const std::map<std::string, std::string>& options) const {
  auto* p = provider(service.name);
  if (p == nullptr) return make_error(ErrorCode::kNotFound, "Unknown add-on service.");
  return p->check_options(options);
}

void AddonService::addons_changed() {
  {
    std::lock_guard lock(mutex_);
    pending_ = true;
  }
  wake_.notify_all();
}

void AddonService::run() {
  // Servers of provisioned add-ons run again (or are adopted, if they outlived a crash). In
  // the worker, so that starting them never delays the API.
  if (auto provisioned = store_.addons_in_state("provisioned")) {
    for (const auto& p : providers_) {
      std::vector<store::Addon> mine;
      for (const auto& addon : *provisioned) {
        if (addon.service == p->info().name) mine.push_back(addon);
      }
      p->adopt(mine);
    }
  }
  auto next_supervision = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next_supervision, [this] { return stopping_ || pending_; });
      if (stopping_) return;
      pending_ = false;
    }
    if (std::chrono::steady_clock::now() >= next_supervision) {
      for (const auto& p : providers_) p->supervise();
      next_supervision = std::chrono::steady_clock::now() + settings_.tick;
    }
    work_once();
  }
}

void AddonService::work_once() {
  if (auto addons = store_.addons_in_state("provisioning")) {
    for (const auto& addon : *addons) provision(addon);
  }
  if (auto addons = store_.addons_in_state("deprovisioning")) {
    for (const auto& addon : *addons) deprovision(addon);
  }
  if (plan_changes_ != nullptr) plan_changes_->work_once();
}

void AddonService::provision(const store::Addon& addon) {
  auto* p = provider(addon.service);
  if (p == nullptr) {
    (void)store_.fail_provisioning(addon.id, "This Slipway has no " + addon.service + " service.");
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  const auto first = first_attempt_.try_emplace(addon.id, now).first->second;
  auto resource = p->provision(addon);
  if (resource) {
    first_attempt_.erase(addon.id);
    // Every app it is attached to gets the URL, in a release that runs its release phase.
    auto recorded = releases_.follow_releases([&]() -> Result<std::vector<store::Release>> {
      auto change = store_.finish_provisioning(addon.id, resource->resource_json, resource->url);
      if (!change) return change.error();
      return change->releases;
    });
    if (recorded) return;
    // Destroyed while it was being provisioned: the worker's next pass releases it.
    spdlog::warn("add-on {} was provisioned but could not be recorded: {}", addon.name,
                 recorded.error().message);
    addons_changed();
    return;
  }
  spdlog::warn("provisioning add-on {} failed: {}", addon.name, resource.error().message);
  if (now - first < settings_.provision_deadline) {
    // Retried on the next tick: a server that was down is brought back by supervision.
    return;
  }
  first_attempt_.erase(addon.id);
  (void)p->deprovision(addon);  // leave nothing half-made behind
  (void)store_.fail_provisioning(addon.id, "Provisioning failed: " + resource.error().message);
}

void AddonService::deprovision(const store::Addon& addon) {
  auto* p = provider(addon.service);
  if (p != nullptr) {
    if (auto released = p->deprovision(addon); !released) {
      spdlog::warn("deprovisioning add-on {} failed (retrying): {}", addon.name,
                   released.error().message);
      return;
    }
  }
  (void)store_.forget_addon(addon.id);
}

}  // namespace slipway::daemon
