// Apps: create, list, info, rename, maintenance, destroy.
#include "api/addon_access.h"
#include "api/app_access.h"
#include "api/app_events.h"
#include "api/app_names.h"
#include "api/list_reply.h"
#include "api/request_bodies.h"
#include "api/resources.h"
#include "api/views.h"

namespace slipway::api {
namespace {

constexpr std::string_view kDefaultStack = "heroku-24";

bool is_known_stack(std::string_view stack) { return stack == "heroku-22" || stack == "heroku-24"; }

// A taken name is Heroku's 422 invalid_params, not a 409.
Error taken_as_invalid(Error error) {
  if (error.code == ErrorCode::kConflict) error.code = ErrorCode::kInvalidParams;
  return error;
}

Result<Reply> create_app(const ApiDeps& deps, RequestContext& ctx) {
  auto body = parse_app_create(ctx.request.body());
  if (!body) return body.error();
  if (body->region && *body->region != kRegionName) {
    return make_error(ErrorCode::kInvalidParams, "Couldn't find that region: `" + *body->region +
                                                     "`. This installation has one region, `" +
                                                     kRegionName + "`.");
  }
  const std::string stack = body->stack.value_or(std::string(kDefaultStack));
  if (!is_known_stack(stack)) {
    return make_error(ErrorCode::kInvalidParams,
                      "Couldn't find that stack: `" + stack + "`. Use heroku-24 or heroku-22.");
  }
  if (body->name) {
    if (auto valid = validate_app_name(*body->name); !valid) return valid.error();
    auto app = deps.store.create_app({*body->name, kRegionName, stack}, ctx.account);
    if (!app) return taken_as_invalid(app.error());
    log_api_event(deps, app->id, "Initial release", ctx.account.email);
    return Reply{http::status::created, app_json(*app, deps.settings), {}};
  }
  // Generated names can collide; a few tries make a clash vanishingly unlikely.
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto app = deps.store.create_app({generate_app_name(), kRegionName, stack}, ctx.account);
    if (app) {
      log_api_event(deps, app->id, "Initial release", ctx.account.email);
      return Reply{http::status::created, app_json(*app, deps.settings), {}};
    }
    if (app.error().code != ErrorCode::kConflict) return app.error();
  }
  return make_error(ErrorCode::kInternal, "Could not generate a free app name; pass one.");
}

Result<Reply> list_apps(const ApiDeps& deps, RequestContext& ctx) {
  auto apps = deps.store.list_apps(ctx.account.id);
  if (!apps) return apps.error();
  std::vector<nlohmann::json> items;
  std::map<std::string, std::vector<SortKey>> fields{{"id", {}}, {"name", {}}};
  for (const auto& app : *apps) {
    items.push_back(app_json(app, deps.settings));
    fields["id"].push_back(text_key(app.id));
    fields["name"].push_back(text_key(app.name));
  }
  return list_reply(ctx, items, fields, "id");
}

Result<Reply> app_info(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto body = app_json(*app, deps.settings);
  // The size of the slug the current release runs (apps:info's "Slug Size").
  if (auto slug = deps.store.current_slug(app->id); slug && *slug && (*slug)->size) {
    body["slug_size"] = *(*slug)->size;
  }
  if (ctx.query.count("extended") && ctx.query["extended"] == "true") {
    body["extended"] = {{"acm", false}, {"slug_size_limit", 500 * 1024 * 1024}};
  }
  return Reply{http::status::ok, body, {}};
}

Result<Reply> update_app(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto body = parse_app_update(ctx.request.body());
  if (!body) return body.error();
  store::AppUpdate update;
  if (body->name && *body->name != app->name) {
    if (auto valid = validate_app_name(*body->name); !valid) return valid.error();
    update.name = body->name;
  }
  update.maintenance = body->maintenance;
  auto updated = deps.store.update_app(app->id, update);
  if (!updated) return taken_as_invalid(updated.error());
  deps.runtime.app_changed(app->id);  // maintenance and the routed name
  return Reply{http::status::ok, app_json(*updated, deps.settings), {}};
}

Result<Reply> destroy_app(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  // Other apps its add-ons were attached to lose them, in releases of their own.
  auto deleted = releasing<std::vector<store::Release>>(
      deps, [&] { return deps.store.delete_app(app->id); },
      [](const std::vector<store::Release>& r) { return r; });
  if (!deleted) return deleted.error();
  deps.runtime.app_destroyed(app->id);
  deps.addons.addons_changed();  // its add-ons are deprovisioned in the background
  deps.git.app_destroyed(app->id);
  return Reply{http::status::ok, app_json(*app, deps.settings), {}};
}

}  // namespace

void register_app_routes(Routes& routes, const ApiDeps& deps) {
  const auto bind = [&deps](ResourceHandler fn) { return with_deps(deps, fn); };
  routes.add(http::verb::post, "/apps", bind(create_app));
  routes.add(http::verb::get, "/apps", bind(list_apps));
  routes.add(http::verb::get, "/users/{user}/apps", [&deps](RequestContext& ctx) -> Result<Reply> {
    if (!names_caller(ctx, ctx.param("user"))) {
      return make_error(ErrorCode::kNotFound, "Couldn't find that user.");
    }
    return list_apps(deps, ctx);
  });
  routes.add(http::verb::get, "/apps/{app}", bind(app_info));
  routes.add(http::verb::patch, "/apps/{app}", bind(update_app));
  routes.add(http::verb::delete_, "/apps/{app}", bind(destroy_app));
}

}  // namespace slipway::api
