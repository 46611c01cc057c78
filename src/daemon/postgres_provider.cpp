#include "daemon/postgres_provider.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace slipway::daemon {

namespace pg = addons::postgres;
using nlohmann::json;

namespace {

api::AddonPlanInfo plan_info(const pg::Plan& plan) {
  const std::string tier = plan.tier == pg::Tier::kShared ? "shared" : "dedicated";
  return api::AddonPlanInfo{std::string(plan.name), std::string(plan.human_name),
                            std::string(plan.human_name) + " (" + tier + ")", plan.is_default,
                            plan.price_cents};
}

std::string to_json(const pg::DatabaseLocation& l) {
  return json{{"instance", l.instance}, {"host", l.host}, {"port", l.port},
              {"database", l.database}, {"user", l.user}, {"password", l.password}}
      .dump();
}

}  // namespace

Result<pg::DatabaseLocation> database_location(const store::Addon& addon) {
  if (!addon.resource_json) {
    return make_error(ErrorCode::kNotFound, addon.name + " has no database yet.");
  }
  auto l = database_location(*addon.resource_json);
  if (!l) return make_error(ErrorCode::kInternal, "The record of " + addon.name + " is damaged.");
  return l;
}

Result<pg::DatabaseLocation> database_location(const std::string& resource_json) {
  const json j = json::parse(resource_json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("instance") || !j.contains("port")) {
    return make_error(ErrorCode::kInternal, "A database record is damaged.");
  }
  pg::DatabaseLocation l;
  l.instance = j.value("instance", "");
  l.host = j.value("host", "localhost");
  l.port = j.value("port", static_cast<unsigned short>(0));
  l.database = j.value("database", "");
  l.user = j.value("user", "");
  l.password = j.value("password", "");
  return l;
}

PostgresProvider::PostgresProvider(std::unique_ptr<pg::Engine> engine)
    : engine_(std::move(engine)) {
  info_.name = std::string(pg::kServiceName);
  info_.human_name = "Heroku Postgres";
  info_.name_prefix = "postgresql";
  info_.first_attachment = "DATABASE";
  info_.attachment_prefix = "HEROKU_POSTGRESQL";
  info_.plan_changes = true;
  for (const auto& plan : pg::all_plans()) info_.plans.push_back(plan_info(plan));
}

Result<api::AddonPlanInfo> PostgresProvider::find_plan(std::string_view plan) const {
  auto found = pg::find_plan(plan.empty() ? pg::kServiceName : plan);
  if (!found) return found.error();
  return plan_info(*found);
}

Status PostgresProvider::check_options(const std::map<std::string, std::string>& options) const {
  for (const auto& [key, value] : options) {
    if (key == "version" && (value == "15" || value.starts_with("15."))) continue;
    if (key == "version") {
      return make_error(ErrorCode::kInvalidParams,
                        "This Slipway runs PostgreSQL 15; version " + value + " is not available.");
    }
    return make_error(
        ErrorCode::kInvalidParams,
        "heroku-postgresql on Slipway does not take the option --" + key + " (only --version 15).");
  }
  return {};
}

void PostgresProvider::adopt(const std::vector<store::Addon>& provisioned) {
  bool shared = false;
  for (const auto& addon : provisioned) {
    auto location = database_location(addon);
    if (!location) continue;
    if (location->instance == pg::kSharedInstance || location->instance == pg::kExternalInstance) {
      shared = true;
      continue;
    }
    if (auto running = engine_->ensure_running(*location); !running) {
      spdlog::warn("the database of {} did not start: {}", addon.name, running.error().message);
    }
  }
  if (shared) {
    if (auto running = engine_->ensure_shared(); !running) {
      spdlog::warn("the shared Postgres cluster did not start: {}", running.error().message);
    }
  }
}

Result<ProvisionedResource> PostgresProvider::provision(const store::Addon& addon) {
  auto plan = pg::find_plan(addon.plan);
  if (!plan) return plan.error();
  auto location = engine_->provision(addon.id, *plan);
  if (!location) return location.error();
  return ProvisionedResource{to_json(*location), location->url()};
}

Status PostgresProvider::deprovision(const store::Addon& addon) {
  auto location = database_location(addon);
  if (!location) {
    // Never recorded (it failed, or the platform stopped midway): provisioning is idempotent
    // and its names follow from the add-on's id, so it finds whatever part exists.
    auto plan = pg::find_plan(addon.plan);
    if (!plan) return {};
    auto found = engine_->provision(addon.id, *plan);
    if (!found) return found.error();
    location = *found;
  }
  return engine_->deprovision(*location);
}

void PostgresProvider::supervise() {
  if (auto s = engine_->supervise(); !s) {
    spdlog::warn("Postgres supervision: {}", s.error().message);
  }
}

void PostgresProvider::shutdown() {
  if (auto s = engine_->stop_all(); !s) {
    spdlog::warn("stopping Postgres: {}", s.error().message);
  }
}

Result<api::PostgresCredentials> PostgresProvider::credentials(const store::Addon& addon) const {
  auto l = database_location(addon);
  if (!l) return l.error();
  return api::PostgresCredentials{l->host, l->port, l->database, l->user, l->password};
}

Result<api::PostgresInfo> PostgresProvider::info(const store::Addon& addon) {
  auto l = database_location(addon);
  if (!l) return l.error();
  auto plan = pg::find_plan(addon.plan);
  if (!plan) return plan.error();
  auto stats = engine_->stats(*l);
  if (!stats) return stats.error();
  api::PostgresInfo out;
  out.plan_human_name = std::string(plan->human_name);
  out.shared_tier = plan->tier == pg::Tier::kShared;
  out.server_version = stats->server_version;
  out.data_bytes = stats->data_size_bytes;
  out.storage_limit_bytes = static_cast<std::int64_t>(plan->storage_bytes);
  out.tables = stats->tables;
  if (plan->max_tables > 0) out.table_limit = plan->max_tables;
  out.connections = stats->connections;
  out.connection_limit = plan->max_connections;
  return out;
}

Status PostgresProvider::reset(const store::Addon& addon,
                               const std::vector<std::string>& extensions) {
  auto l = database_location(addon);
  if (!l) return l.error();
  return engine_->reset(*l, extensions);
}

Result<ProvisionedResource> PostgresProvider::provision_target(const store::PlanChange& change) {
  auto plan = pg::find_plan(change.to_plan);
  if (!plan) return plan.error();
  auto location = engine_->provision(change.resource_key, *plan);
  if (!location) return location.error();
  return ProvisionedResource{to_json(*location), location->url()};
}

namespace {

// The old and the new database of a plan change whose new database is recorded.
Result<std::pair<pg::DatabaseLocation, pg::DatabaseLocation>> move_ends(
    const store::PlanChange& change) {
  auto source = database_location(change.source_json);
  if (!source) return source.error();
  if (!change.target_json) return make_error(ErrorCode::kInternal, "no new database recorded");
  auto target = database_location(*change.target_json);
  if (!target) return target.error();
  return std::pair{*source, *target};
}

}  // namespace

Result<bool> PostgresProvider::sync_target(const store::PlanChange& change) {
  auto ends = move_ends(change);
  if (!ends) return ends.error();
  const auto& [source, target] = *ends;
  auto started = engine_->move_started(target, change.resource_key);
  if (!started) return started.error();
  if (*started) return engine_->move_ready(target, change.resource_key);
  auto why_not = engine_->start_move(source, target, change.resource_key);
  if (!why_not) return why_not.error();
  if (*why_not) {
    spdlog::warn("add-on {}: its data is copied inside the maintenance window: {}",
                 change.addon_name, **why_not);
    return true;
  }
  return false;
}

Status PostgresProvider::fence_source(const store::PlanChange& change, bool fenced) {
  auto source = database_location(change.source_json);
  if (!source) return source.error();
  return engine_->set_logins(*source, !fenced);
}

Status PostgresProvider::copy_to_target(const store::PlanChange& change) {
  auto ends = move_ends(change);
  if (!ends) return ends.error();
  return engine_->finish_move(ends->first, ends->second, change.resource_key);
}

Status PostgresProvider::release_target(const store::PlanChange& change) {
  auto source = database_location(change.source_json);
  if (!source) return source.error();
  if (change.target_json) {
    auto target = database_location(*change.target_json);
    if (!target) return target.error();
    // The stream first: the source's slot would keep its WAL forever.
    if (auto s = engine_->drop_move(*source, *target, change.resource_key); !s) return s;
    return engine_->deprovision(*target);
  }
  auto plan = pg::find_plan(change.to_plan);
  if (!plan) return {};
  if (plan->tier == pg::Tier::kDedicated) {
    // Only its directory may exist (a failed initdb): the instance is named by the key.
    return engine_->deprovision(
        pg::DatabaseLocation{change.resource_key, "localhost", 0, "", "", ""});
  }
  // Idempotent by key: finds whatever part of the role and database exists.
  auto found = engine_->provision(change.resource_key, *plan);
  if (!found) return found.error();
  return engine_->deprovision(*found);
}

Status PostgresProvider::release_source(const store::PlanChange& change) {
  auto source = database_location(change.source_json);
  if (!source) return source.error();
  spdlog::info("add-on {}: the rollback window is over; dropping its old database",
               change.addon_name);
  if (auto s = engine_->drop_move(*source, std::nullopt, change.resource_key); !s) return s;
  return engine_->deprovision(*source);
}

}  // namespace slipway::daemon
