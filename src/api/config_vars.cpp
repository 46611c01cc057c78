// Config vars: GET the app's config; PATCH sets (strings) and removes (null) keys, making a
// release (through the release service: it may have a release phase to run first).
#include "api/app_access.h"
#include "api/request_bodies.h"
#include "api/resources.h"

namespace slipway::api {
namespace {

Result<Reply> get_config(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto vars = deps.store.config_vars(app->id);
  if (!vars) return vars.error();
  return Reply{http::status::ok, nlohmann::json(*vars), {}};
}

Result<Reply> patch_config(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto changes = parse_config_patch(ctx.request.body());
  if (!changes) return changes.error();
  if (changes->empty()) return get_config(deps, ctx);
  auto outcome = deps.releases.change_config(*app, ctx.account, *changes, kMaxConfigBytes);
  if (!outcome) return outcome.error();
  // The CLI prints what it set from this body, so it must be the whole resulting config (also
  // while the release is pending or after it fails: the app's config is the new one, as on
  // Heroku, while its dynos keep the last release that went live).
  return Reply{http::status::ok, nlohmann::json(outcome->config), {}};
}

}  // namespace

void register_config_var_routes(Routes& routes, const ApiDeps& deps) {
  routes.add(http::verb::get, "/apps/{app}/config-vars",
             [&deps](RequestContext& ctx) { return get_config(deps, ctx); });
  routes.add(http::verb::patch, "/apps/{app}/config-vars",
             [&deps](RequestContext& ctx) { return patch_config(deps, ctx); });
}

}  // namespace slipway::api
