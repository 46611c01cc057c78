// One add-on service as the daemon's add-on worker drives it: its catalog entry, and
// provisioning and deprovisioning of its resources. Implementations wrap a module of
// src/addons/ (postgres, ...). Calls come from the worker's thread, one at a time.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/addon_control.h"
#include "common/result.h"
#include "store/models.h"

namespace slipway::daemon {

struct ProvisionedResource {
  std::string resource_json;  // the provider's private record (kept in the store)
  std::string url;            // exported to attachments as <NAME>_URL
};

class AddonProvider {
 public:
  virtual ~AddonProvider() = default;
  virtual const api::AddonServiceInfo& info() const = 0;
  // `plan` as a client names it; empty means the default plan.
  virtual Result<api::AddonPlanInfo> find_plan(std::string_view plan) const = 0;
  virtual Status check_options(const std::map<std::string, std::string>& options) const = 0;
  // At start: the add-ons of this service already provisioned, whose servers should run.
  virtual void adopt(const std::vector<store::Addon>& provisioned) { (void)provisioned; }
  // Creates the add-on's resource. Idempotent: after a crash midway, calling it again for the
  // same add-on finishes the job rather than failing or creating a second one.
  virtual Result<ProvisionedResource> provision(const store::Addon& addon) = 0;
  // Releases the add-on's resource (whatever part of it exists). Idempotent.
  virtual Status deprovision(const store::Addon& addon) = 0;
  // Called every few seconds: keep servers running, enforce plan limits.
  virtual void supervise() {}
  // The platform is stopping on purpose: stop the servers it runs (a crash leaves them running,
  // to be adopted by the next start).
  virtual void shutdown() {}
};

}  // namespace slipway::daemon
