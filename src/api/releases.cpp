// Releases: the list (Range by version, either order), one release, and its config vars.
#include "api/app_access.h"
#include "api/list_reply.h"
#include "api/resources.h"
#include "api/views.h"

namespace slipway::api {
namespace {

Result<Reply> list_releases(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto releases = deps.store.list_releases(app->id);
  if (!releases) return releases.error();
  std::vector<nlohmann::json> items;
  std::map<std::string, std::vector<SortKey>> fields{{"version", {}}, {"id", {}}};
  for (const auto& r : *releases) {
    items.push_back(release_json(r, *app));
    fields["version"].push_back(number_key(r.version));
    fields["id"].push_back(text_key(r.id));
  }
  return list_reply(ctx, items, fields, "version");
}

Result<store::Release> load_release(const ApiDeps& deps, const RequestContext& ctx,
                                    const store::App& app) {
  std::string_view ref = ctx.param("release");
  if (!ref.empty() && ref.front() == 'v') ref.remove_prefix(1);  // "v12" as well as "12"
  return deps.store.find_release(app.id, ref);
}

Result<Reply> release_info(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto release = load_release(deps, ctx, *app);
  if (!release) return release.error();
  return Reply{http::status::ok, release_json(*release, *app), {}};
}

Result<Reply> release_config(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto release = load_release(deps, ctx, *app);
  if (!release) return release.error();
  return Reply{http::status::ok, nlohmann::json(release->config), {}};
}

}  // namespace

void register_release_routes(Routes& routes, const ApiDeps& deps) {
  routes.add(http::verb::get, "/apps/{app}/releases",
             [&deps](RequestContext& ctx) { return list_releases(deps, ctx); });
  routes.add(http::verb::get, "/apps/{app}/releases/{release}",
             [&deps](RequestContext& ctx) { return release_info(deps, ctx); });
  routes.add(http::verb::get, "/apps/{app}/releases/{release}/config-vars",
             [&deps](RequestContext& ctx) { return release_config(deps, ctx); });
}

}  // namespace slipway::api
