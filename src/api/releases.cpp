// Releases: the list (Range by version, either order), one release, and its config vars.
#include "api/app_access.h"
#include "api/list_reply.h"
#include "api/request_bodies.h"
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
    items.push_back(release_json(r, *app, deps.settings.api_url));
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
  return Reply{http::status::ok, release_json(*release, *app, deps.settings.api_url), {}};
}

Result<Reply> release_config(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto release = load_release(deps, ctx, *app);
  if (!release) return release.error();
  return Reply{http::status::ok, nlohmann::json(release->config), {}};
}

// POST /apps/{app}/releases: {"slug": id} deploys a slug; {"release": id} rolls back (a new
// release with that release's slug and config, which also become the app's config vars). Either
// may come back pending while its release phase runs (the CLI streams output_stream_url).
Result<Reply> create_release(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto body = parse_release_create(ctx.request.body());
  if (!body) return body.error();
  if (body->slug) {
    auto slug = deps.store.find_slug(app->id, *body->slug);
    if (!slug) return slug.error();
    const std::string description =
        body->description.value_or("Deploy " + slug->commit.value_or(slug->id).substr(0, 8));
    auto release = deps.releases.release_slug(*app, ctx.account, slug->id, description);
    if (!release) return release.error();
    return Reply{http::status::created, release_json(*release, *app, deps.settings.api_url), {}};
  }
  std::string_view ref = *body->release;
  if (!ref.empty() && ref.front() == 'v') ref.remove_prefix(1);
  auto target = deps.store.find_release(app->id, ref);
  if (!target) return target.error();
  if (!target->slug_id) {
    auto releases = deps.store.list_releases(app->id);
    if (!releases) return releases.error();
    for (const auto& r : *releases) {
      if (r.current && r.slug_id) {
        return make_error(ErrorCode::kInvalidParams,
                          "v" + std::to_string(target->version) +
                              " was made before the app's first deploy and has no slug; roll "
                              "back to a release that has one.");
      }
    }
  }
  auto release = deps.releases.rollback(*app, ctx.account, *target);
  if (!release) return release.error();
  return Reply{http::status::created, release_json(*release, *app, deps.settings.api_url), {}};
}

}  // namespace

void register_release_routes(Routes& routes, const ApiDeps& deps) {
  routes.add(http::verb::get, "/apps/{app}/releases",
             [&deps](RequestContext& ctx) { return list_releases(deps, ctx); });
  routes.add(http::verb::post, "/apps/{app}/releases",
             [&deps](RequestContext& ctx) { return create_release(deps, ctx); });
  routes.add(http::verb::get, "/apps/{app}/releases/{release}",
             [&deps](RequestContext& ctx) { return release_info(deps, ctx); });
  routes.add(http::verb::get, "/apps/{app}/releases/{release}/config-vars",
             [&deps](RequestContext& ctx) { return release_config(deps, ctx); });
}

}  // namespace slipway::api
