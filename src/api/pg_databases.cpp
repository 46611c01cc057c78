// The data API's database endpoints: `pg:info` (/client/v11/databases/{id}), `pg:wait`
// (wait_status), `pg:reset`, and the credentials `pg:credentials:url` and `pg:copy` read
// (/postgres/v0/databases/{name}/credentials).
#include <cmath>
#include <cstdio>

#include "api/addon_access.h"
#include "api/json_fields.h"
#include "api/resources.h"

namespace slipway::api {
namespace {

using nlohmann::json;

constexpr std::string_view kPostgresService = "heroku-postgresql";

Result<store::Addon> load_database(const ApiDeps& deps, const RequestContext& ctx,
                                   std::string_view param) {
  auto addon = find_accessible_addon(deps, ctx.param(param), ctx.account);
  if (!addon) return addon.error();
  if (addon->service != kPostgresService) {
    return make_error(ErrorCode::kNotFound, addon->name + " is not a Postgres database.");
  }
  return addon;
}

// A provisioned database, or 404 (the CLI shows "not yet provisioned").
Result<store::Addon> load_available(const ApiDeps& deps, const RequestContext& ctx,
                                    std::string_view param) {
  auto addon = load_database(deps, ctx, param);
  if (!addon) return addon;
  if (addon->state != "provisioned") {
    return make_error(ErrorCode::kNotFound, addon->name + " is " + addon->state + ".");
  }
  return addon;
}

// "8.5 MB", "1 GB": Heroku's sizes, in powers of 1024.
std::string human_size(double bytes) {
  static constexpr std::array<const char*, 5> kUnits = {"bytes", "kB", "MB", "GB", "TB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < kUnits.size()) {
    bytes /= 1024;
    ++unit;
  }
  char out[32];
  if (unit == 0 || bytes == std::floor(bytes)) {
    std::snprintf(out, sizeof out, "%.0f %s", bytes, kUnits[unit]);
  } else {
    std::snprintf(out, sizeof out, "%.1f %s", bytes, kUnits[unit]);
  }
  return out;
}

json info_row(const std::string& name, const std::string& value) {
  return {{"name", name}, {"values", json::array({value})}};
}

// Heroku's pg:info status: over the plan's storage or table limit is "Over Plan Capacity"
// (Heroku then restricts access after an enforcement date; Slipway reports it and enforces
// nothing, see docs/postgres.md).
std::string database_status(const PostgresInfo& info) {
  const bool over_storage =
      info.storage_limit_bytes > 0 && info.data_bytes > info.storage_limit_bytes;
  const bool over_tables = info.table_limit && info.tables > *info.table_limit;
  return over_storage || over_tables ? "Over Plan Capacity: Action Required" : "Available";
}

json database_json(const store::Addon& addon, const PostgresCredentials& creds,
                   const PostgresInfo& info) {
  const double percent = info.storage_limit_bytes > 0
                             ? 100.0 * static_cast<double>(info.data_bytes) /
                                   static_cast<double>(info.storage_limit_bytes)
                             : 0;
  char percent_text[32];
  std::snprintf(percent_text, sizeof percent_text, "%.2f%%", percent);
  json rows = json::array();
  rows.push_back(info_row("Plan", info.plan_human_name));
  rows.push_back(info_row("Status", database_status(info)));
  rows.push_back(
      info_row("Data Size", human_size(static_cast<double>(info.data_bytes)) + " / " +
                                human_size(static_cast<double>(info.storage_limit_bytes)) + " (" +
                                percent_text + ")"));
  if (info.table_limit) {
    const bool ok = info.tables <= *info.table_limit;
    rows.push_back(info_row("Tables", std::to_string(info.tables) + "/" +
                                          std::to_string(*info.table_limit) +
                                          (ok ? " (In compliance)" : " (Over limit)")));
  } else {
    rows.push_back(info_row("Tables", std::to_string(info.tables)));
  }
  rows.push_back(info_row("Connections", std::to_string(info.connections) + "/" +
                                             std::to_string(info.connection_limit)));
  rows.push_back(info_row("PG Version", info.server_version));
  rows.push_back(
      info_row("Created", addon.created_at.substr(0, 10) + " " + addon.created_at.substr(11, 5)));
  rows.push_back(info_row("Continuous Protection", "Off"));
  rows.push_back(info_row("Fork/Follow", "Unsupported"));
  rows.push_back(info_row("Rollback", "Unsupported"));
  return {{"addon_id", addon.id},
          {"name", addon.name},
          {"plan", addon.plan},
          {"resource_url", addon.url.value_or("")},
          {"database_name", creds.database},
          {"database_user", creds.user},
          {"following", nullptr},
          {"leader", nullptr},
          {"waiting?", false},
          {"num_bytes", info.data_bytes},
          {"created_at", addon.created_at},
          {"info", rows}};
}

Result<Reply> show_database(const ApiDeps& deps, RequestContext& ctx) {
  auto addon = load_available(deps, ctx, "addon");
  if (!addon) return addon.error();
  auto creds = deps.postgres.credentials(*addon);
  if (!creds) return creds.error();
  auto info = deps.postgres.info(*addon);
  if (!info) return info.error();
  return Reply{http::status::ok, database_json(*addon, *creds, *info), {}};
}

Result<Reply> wait_status(const ApiDeps& deps, RequestContext& ctx) {
  auto addon = load_database(deps, ctx, "addon");
  if (!addon) return addon.error();
  json out = {{"waiting?", false}, {"error?", false}, {"message", "Available"}};
  if (addon->state == "provisioning") {
    out["waiting?"] = true;
    out["message"] = "Provisioning";
  } else if (addon->state != "provisioned") {
    out["error?"] = true;
    out["message"] = addon->provision_message.value_or(addon->name + " is " + addon->state + ".");
  }
  return Reply{http::status::ok, out, {}};
}

Result<Reply> reset_database(const ApiDeps& deps, RequestContext& ctx) {
  auto addon = load_available(deps, ctx, "addon");
  if (!addon) return addon.error();
  auto body = parse_object(ctx.request.body());
  if (!body) return body.error();
  std::vector<std::string> extensions;
  if (const auto it = body->find("extensions"); it != body->end() && !it->is_null()) {
    if (!it->is_array() || it->size() > 32) return wrong_type("extensions", "a list of names");
    for (const auto& e : *it) {
      if (!e.is_string() || e.get<std::string>().empty() || e.get<std::string>().size() > 63) {
        return wrong_type("extensions", "a list of names");
      }
      extensions.push_back(e.get<std::string>());
    }
  }
  if (auto reset = deps.postgres.reset(*addon, extensions); !reset) return reset.error();
  return Reply{http::status::ok, json{{"message", "Reset"}}, {}};
}

json credentials_json(const PostgresCredentials& c) {
  return {{"uuid", nullptr},
          {"name", "default"},
          {"state", "active"},
          {"database", c.database},
          {"host", c.host},
          {"port", c.port},
          {"credentials",
           json::array({{{"user", c.user}, {"password", c.password}, {"state", "active"}}})}};
}

Result<Reply> credential(const ApiDeps& deps, RequestContext& ctx) {
  auto addon = load_available(deps, ctx, "addon");
  if (!addon) return addon.error();
  if (ctx.param("credential") != "default") {
    return make_error(ErrorCode::kNotFound, "Couldn't find the credential " +
                                                ctx.param("credential") +
                                                "; Slipway databases have one, named default.");
  }
  auto creds = deps.postgres.credentials(*addon);
  if (!creds) return creds.error();
  return Reply{http::status::ok, credentials_json(*creds), {}};
}

Result<Reply> credentials(const ApiDeps& deps, RequestContext& ctx) {
  auto addon = load_available(deps, ctx, "addon");
  if (!addon) return addon.error();
  auto creds = deps.postgres.credentials(*addon);
  if (!creds) return creds.error();
  return Reply{http::status::ok, json::array({credentials_json(*creds)}), {}};
}

}  // namespace

void register_pg_database_routes(Routes& routes, const ApiDeps& deps) {
  const auto bind = [&deps](ResourceHandler fn) { return with_deps(deps, fn); };
  routes.add(http::verb::get, "/client/v11/databases/{addon}", bind(show_database));
  routes.add(http::verb::get, "/client/v11/databases/{addon}/wait_status", bind(wait_status));
  routes.add(http::verb::put, "/client/v11/databases/{addon}/reset", bind(reset_database));
  routes.add(http::verb::get, "/postgres/v0/databases/{addon}/credentials", bind(credentials));
  routes.add(http::verb::get, "/postgres/v0/databases/{addon}/credentials/{credential}",
             bind(credential));
}

}  // namespace slipway::api
