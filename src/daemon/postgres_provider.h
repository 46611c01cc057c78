// The heroku-postgresql add-on service: the add-on worker's provider and the data API's
// PostgresControl, over the Postgres engine (src/addons/postgres). The store keeps each
// add-on's DatabaseLocation as its resource_json.
#pragma once

#include <memory>

#include "addons/postgres/engine.h"
#include "api/postgres_control.h"
#include "daemon/addon_provider.h"
#include "daemon/plan_change.h"

namespace slipway::daemon {

class PostgresProvider : public AddonProvider, public api::PostgresControl, public PlanMover {
 public:
  explicit PostgresProvider(std::unique_ptr<addons::postgres::Engine> engine);

  // AddonProvider
  const api::AddonServiceInfo& info() const override { return info_; }
  Result<api::AddonPlanInfo> find_plan(std::string_view plan) const override;
  Status check_options(const std::map<std::string, std::string>& options) const override;
  void adopt(const std::vector<store::Addon>& provisioned) override;
  Result<ProvisionedResource> provision(const store::Addon& addon) override;
  Status deprovision(const store::Addon& addon) override;
  void supervise() override;
  void shutdown() override;

  // PostgresControl
  Result<api::PostgresCredentials> credentials(const store::Addon& addon) const override;
  Result<api::PostgresInfo> info(const store::Addon& addon) override;
  Status reset(const store::Addon& addon, const std::vector<std::string>& extensions) override;

  // PlanMover (plan_change.h): a new database under the change's key, filled by logical
  // replication while the app runs (or, when the old one cannot be streamed, by pg_dump |
  // pg_restore in the cut-over); the old one fenced by revoking its role's logins; row counts
  // and sequences compared.
  Result<ProvisionedResource> provision_target(const store::PlanChange& change) override;
  Result<bool> sync_target(const store::PlanChange& change) override;
  Status fence_source(const store::PlanChange& change, bool fenced) override;
  Status copy_to_target(const store::PlanChange& change) override;
  Status release_target(const store::PlanChange& change) override;
  Status release_source(const store::PlanChange& change) override;

  addons::postgres::Engine& engine() { return *engine_; }

 private:
  std::unique_ptr<addons::postgres::Engine> engine_;
  api::AddonServiceInfo info_;
};

// The location recorded for an add-on (its resource_json), or an error when it has none.
Result<addons::postgres::DatabaseLocation> database_location(const store::Addon& addon);
// The same from a recorded resource_json.
Result<addons::postgres::DatabaseLocation> database_location(const std::string& resource_json);

}  // namespace slipway::daemon
