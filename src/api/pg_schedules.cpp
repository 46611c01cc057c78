// The data API's backup schedules (pg:backups:schedule, schedules, unschedule):
// /client/v11/databases/{addon}/transfer-schedules. The scheduler (src/daemon/) runs them from
// the store; here they are only set, listed and removed.
#include <chrono>

#include "api/addon_access.h"
#include "api/resources.h"
#include "api/schedule_bodies.h"
#include "common/local_hour.h"
#include "common/time.h"
#include "common/zoneinfo.h"

namespace slipway::api {
namespace {

using nlohmann::json;

Result<store::Addon> load_database(const ApiDeps& deps, const RequestContext& ctx) {
  auto addon = find_accessible_addon(deps, ctx.param("addon"), ctx.account);
  if (!addon) return addon.error();
  if (addon->service != "heroku-postgresql") {
    return make_error(ErrorCode::kNotFound, addon->name + " is not a Postgres database.");
  }
  return addon;
}

json schedule_json(const store::BackupSchedule& s) {
  static const json kEveryDay = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                 "Thursday", "Friday", "Saturday"};
  return {{"uuid", s.id},
          {"name", s.name},
          {"hour", s.hour},
          {"timezone", s.timezone},
          {"days", kEveryDay},
          {"last_run_at", s.last_run_at ? json(*s.last_run_at) : json(nullptr)},
          {"next_run_at", s.next_run_at},
          {"created_at", s.created_at},
          {"updated_at", s.updated_at}};
}

Result<Reply> list_schedules(const ApiDeps& deps, RequestContext& ctx) {
  auto addon = load_database(deps, ctx);
  if (!addon) return addon.error();
  auto schedules = deps.store.backup_schedules(addon->id);
  if (!schedules) return schedules.error();
  json out = json::array();
  for (const auto& s : *schedules) out.push_back(schedule_json(s));
  return Reply{http::status::ok, out, {}};
}

Result<Reply> create_schedule(const ApiDeps& deps, RequestContext& ctx) {
  auto addon = load_database(deps, ctx);
  if (!addon) return addon.error();
  if (addon->state != "provisioned") {
    return make_error(ErrorCode::kNotFound, addon->name + " is " + addon->state + ".");
  }
  auto body = parse_schedule_body(ctx.request.body());
  if (!body) return body.error();
  auto zone = load_zone(body->timezone);
  if (!zone) return zone.error();
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto next = next_local_hour(*zone, body->hour, now);
  auto schedule = deps.store.put_backup_schedule(
      addon->id, store::NewBackupSchedule{body->schedule_name, body->hour, body->timezone,
                                          iso8601(std::chrono::system_clock::time_point(next))});
  if (!schedule) return schedule.error();
  return Reply{http::status::created, schedule_json(*schedule), {}};
}

Result<Reply> delete_schedule(const ApiDeps& deps, RequestContext& ctx) {
  auto addon = load_database(deps, ctx);
  if (!addon) return addon.error();
  auto schedules = deps.store.backup_schedules(addon->id);
  if (!schedules) return schedules.error();
  for (const auto& s : *schedules) {
    if (s.id != ctx.param("schedule")) continue;
    if (auto deleted = deps.store.delete_backup_schedule(addon->id, s.id); !deleted) {
      return deleted.error();
    }
    return Reply{http::status::ok, schedule_json(s), {}};
  }
  return make_error(ErrorCode::kNotFound,
                    "Couldn't find that backup schedule on " + addon->name + ".");
}

}  // namespace

void register_pg_schedule_routes(Routes& routes, const ApiDeps& deps) {
  const auto bind = [&deps](ResourceHandler fn) { return with_deps(deps, fn); };
  routes.add(http::verb::get, "/client/v11/databases/{addon}/transfer-schedules",
             bind(list_schedules));
  routes.add(http::verb::post, "/client/v11/databases/{addon}/transfer-schedules",
             bind(create_schedule));
  routes.add(http::verb::delete_, "/client/v11/databases/{addon}/transfer-schedules/{schedule}",
             bind(delete_schedule));
}

}  // namespace slipway::api
