// Dynos: what runs (from the runtime agent), and restarts and stops (ps:restart, ps:stop).
#include "api/app_access.h"
#include "api/resources.h"

namespace slipway::api {
namespace {

using nlohmann::json;

json dyno_json(const store::App& app, const DynoView& d) {
  return {{"id", app.id + ":" + d.name},
          {"app", {{"id", app.id}, {"name", app.name}}},
          {"name", d.name},
          {"type", d.type},
          {"command", d.command},
          {"state", d.state},
          {"size", d.size},
          {"attach_url", nullptr},
          {"release", {{"id", d.release_id}, {"version", d.release_version}}},
          {"created_at", d.updated_at},
          {"updated_at", d.updated_at}};
}

Result<Reply> list(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  json out = json::array();
  for (const auto& d : deps.runtime.dynos(app->id)) out.push_back(dyno_json(*app, d));
  return Reply{http::status::ok, out, {}};
}

Result<Reply> info(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  for (const auto& d : deps.runtime.dynos(app->id)) {
    if (d.name == ctx.param("dyno")) return Reply{http::status::ok, dyno_json(*app, d), {}};
  }
  return make_error(ErrorCode::kNotFound, "Couldn't find that dyno.");
}

// Restart and stop both replace the named dynos: formation dynos come back, as on Heroku.
Result<Reply> restart(const ApiDeps& deps, RequestContext& ctx, const std::string& type,
                      const std::string& dyno) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  if (!dyno.empty() || !type.empty()) {
    bool known = false;
    for (const auto& d : deps.runtime.dynos(app->id)) {
      known = known || (!dyno.empty() && d.name == dyno) || (!type.empty() && d.type == type);
    }
    if (!known) {
      return make_error(ErrorCode::kNotFound,
                        dyno.empty() ? "Couldn't find that process type (" + type + ")."
                                     : "Couldn't find that dyno (" + dyno + ").");
    }
  }
  deps.runtime.restart(app->id, type, dyno);
  return Reply{http::status::accepted, json::object(), {}};
}

}  // namespace

void register_dyno_routes(Routes& routes, const ApiDeps& deps) {
  routes.add(http::verb::get, "/apps/{app}/dynos",
             [&deps](RequestContext& ctx) { return list(deps, ctx); });
  routes.add(http::verb::get, "/apps/{app}/dynos/{dyno}",
             [&deps](RequestContext& ctx) { return info(deps, ctx); });
  routes.add(http::verb::delete_, "/apps/{app}/dynos",
             [&deps](RequestContext& ctx) { return restart(deps, ctx, "", ""); });
  routes.add(http::verb::delete_, "/apps/{app}/dynos/{dyno}",
             [&deps](RequestContext& ctx) { return restart(deps, ctx, "", ctx.param("dyno")); });
  routes.add(http::verb::delete_, "/apps/{app}/formations/{type}",
             [&deps](RequestContext& ctx) { return restart(deps, ctx, ctx.param("type"), ""); });
  routes.add(http::verb::post, "/apps/{app}/dynos/{dyno}/actions/stop",
             [&deps](RequestContext& ctx) { return restart(deps, ctx, "", ctx.param("dyno")); });
  routes.add(http::verb::post, "/apps/{app}/formations/{type}/actions/stop",
             [&deps](RequestContext& ctx) { return restart(deps, ctx, ctx.param("type"), ""); });
}

}  // namespace slipway::api
