// What the API needs from the add-on providers, as an interface the daemon implements (so the
// API never includes src/addons/): the catalog of services and plans, and a nudge for the
// worker that provisions and deprovisions in the background.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace slipway::api {

struct AddonPlanInfo {
  std::string name;        // without the service: "essential-0"
  std::string human_name;  // "Essential 0"
  std::string description;
  bool is_default = false;
  std::int64_t cents = 0;  // per month
};

struct AddonServiceInfo {
  std::string name;         // "heroku-postgresql"
  std::string human_name;   // "Heroku Postgres"
  std::string name_prefix;  // add-on names: "<prefix>-<adjective>-<number>"
  // Attachment names: the first of these free on the app ("DATABASE"), else the prefix with a
  // colour ("HEROKU_POSTGRESQL" + "_GOLD").
  std::string first_attachment;
  std::string attachment_prefix;
  std::vector<AddonPlanInfo> plans;
  bool plan_changes = false;  // `addons:upgrade` moves its add-ons between plans
};

class AddonControl {
 public:
  virtual ~AddonControl() = default;
  virtual const std::vector<AddonServiceInfo>& services() const = 0;
  // The plan a client names, in any accepted form for `service` ("essential-0", an old name
  // such as "hobby-dev", or empty for the default plan). kNotFound when there is no such plan.
  virtual Result<AddonPlanInfo> find_plan(const AddonServiceInfo& service,
                                          std::string_view plan) const = 0;
  // Provider options given at creation (`addons:create ... -- --version 15`): kInvalidParams
  // for options the service does not take.
  virtual Status check_options(const AddonServiceInfo& service,
                               const std::map<std::string, std::string>& options) const = 0;
  // Add-ons were created or destroyed: the worker provisions those 'provisioning' and releases
  // those 'deprovisioning', in the background.
  virtual void addons_changed() = 0;
};

}  // namespace slipway::api
