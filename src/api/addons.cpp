// Add-ons: create (provisioned in the background), list, show, rename, destroy, and the resolve
// action the CLI uses to find one by name, id or attachment name.
#include <algorithm>

#include "api/addon_access.h"
#include "api/addon_bodies.h"
#include "api/addon_views.h"
#include "api/app_access.h"
#include "api/resources.h"
#include "common/ids.h"

namespace slipway::api {
namespace {

using nlohmann::json;

Reply addon_reply(const ApiDeps& deps, http::status status, const store::Addon& addon) {
  return Reply{status, addon_json(addon, deps.addons), {}};
}

// "heroku-postgresql:essential-0" or "heroku-postgresql" (the default plan).
Result<std::pair<AddonServiceInfo, AddonPlanInfo>> find_plan(const ApiDeps& deps,
                                                             std::string_view spec) {
  const auto colon = spec.find(':');
  const std::string_view service_name = spec.substr(0, colon);
  const std::string_view plan_name =
      colon == std::string_view::npos ? std::string_view() : spec.substr(colon + 1);
  auto service = find_service(deps.addons, service_name);
  if (!service) {
    return make_error(ErrorCode::kNotFound,
                      "Couldn't find either the add-on service or the add-on plan of \"" +
                          std::string(spec) + "\".");
  }
  auto plan = deps.addons.find_plan(*service, plan_name);
  if (!plan) return plan.error();
  return std::pair{*service, *plan};
}

// Add-ons billed to the app, then those billed elsewhere and attached to it.
Result<std::vector<store::Addon>> app_addons(const ApiDeps& deps, const store::App& app) {
  auto owned = deps.store.list_addons(app.id);
  if (!owned) return owned.error();
  auto attachments = deps.store.list_attachments(app.id, std::nullopt);
  if (!attachments) return attachments.error();
  for (const auto& t : *attachments) {
    const bool listed = std::any_of(owned->begin(), owned->end(),
                                    [&](const auto& a) { return a.id == t.addon.id; });
    if (!listed) owned->push_back(t.addon);
  }
  return owned;
}

Result<store::Addon> load_app_addon(const ApiDeps& deps, const RequestContext& ctx,
                                    const store::App& app) {
  auto addons = app_addons(deps, app);
  if (!addons) return addons.error();
  const std::string& ref = ctx.param("addon");
  for (const auto& addon : *addons) {
    if (addon.id == ref || addon.name == ref) return addon;
  }
  return make_error(ErrorCode::kNotFound, "Couldn't find that add-on.");
}

Result<Reply> create_addon(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto body = parse_addon_create(ctx.request.body());
  if (!body) return body.error();
  auto plan = find_plan(deps, body->plan);
  if (!plan) return plan.error();
  const auto& [service, plan_info] = *plan;
  if (auto options = deps.addons.check_options(service, body->config); !options) {
    return options.error();
  }
  store::NewAddon spec;
  spec.service = service.name;
  spec.plan = plan_info.name;
  spec.name_candidates =
      body->name ? std::vector<std::string>{*body->name} : addon_name_candidates(service);
  spec.attachment_candidates = body->attachment_name
                                   ? std::vector<std::string>{*body->attachment_name}
                                   : attachment_name_candidates(service);
  auto created = deps.store.create_addon(*app, ctx.account, spec);
  if (!created) {
    Error error = created.error();
    if (error.code == ErrorCode::kConflict) error.code = ErrorCode::kInvalidParams;
    return error;
  }
  deps.addons.addons_changed();
  return addon_reply(deps, http::status::created, created->addon);
}

Result<Reply> list_app_addons(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto addons = app_addons(deps, *app);
  if (!addons) return addons.error();
  json out = json::array();
  for (const auto& addon : *addons) out.push_back(addon_json(addon, deps.addons));
  return Reply{http::status::ok, out, {}};
}

Result<Reply> list_all_addons(const ApiDeps& deps, RequestContext& ctx) {
  auto addons = deps.store.list_addons(std::nullopt);
  if (!addons) return addons.error();
  json out = json::array();
  for (const auto& addon : *addons) {
    if (may_use_addon(deps, addon, ctx.account)) out.push_back(addon_json(addon, deps.addons));
  }
  return Reply{http::status::ok, out, {}};
}

Result<Reply> show_app_addon(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto addon = load_app_addon(deps, ctx, *app);
  if (!addon) return addon.error();
  return addon_reply(deps, http::status::ok, *addon);
}

Result<Reply> show_addon(const ApiDeps& deps, RequestContext& ctx) {
  auto addon = find_accessible_addon(deps, ctx.param("addon"), ctx.account);
  if (!addon) return addon.error();
  return addon_reply(deps, http::status::ok, *addon);
}

Result<Reply> destroy_addon(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto addon = load_app_addon(deps, ctx, *app);
  if (!addon) return addon.error();
  if (addon->app_id != app->id) {
    return make_error(ErrorCode::kInvalidParams, addon->name + " is billed to " + addon->app_name +
                                                     "; destroy it there, or detach it from " +
                                                     app->name + ".");
  }
  if (addon->state == "deprovisioned") {  // its provisioning failed: nothing left to release
    if (auto forgotten = deps.store.forget_addon(addon->id); !forgotten) return forgotten.error();
    return addon_reply(deps, http::status::ok, *addon);
  }
  using Destroyed = std::pair<store::Addon, store::AddonChange>;
  auto destroyed = releasing<Destroyed>(
      deps, [&] { return deps.store.destroy_addon(ctx.account, addon->id); },
      [](const Destroyed& d) { return d.second.releases; });
  if (!destroyed) return destroyed.error();
  deps.addons.addons_changed();
  return addon_reply(deps, http::status::ok, destroyed->first);
}

// `heroku addons:upgrade` / `addons:downgrade`: {"plan": {"name": "heroku-postgresql:PLAN"}}.
// Answers at once; the worker copies the data and cuts over in the background, and the add-on
// shows the new plan once it is live. The reply shows the plan it is moving to (the CLI prints
// its price) with a provision_message saying what happens next.
Result<Reply> change_plan(const ApiDeps& deps, const RequestContext& ctx, const store::Addon& addon,
                          const std::string& spec) {
  auto plan =
      find_plan(deps, spec.find(':') == std::string::npos ? addon.service + ":" + spec : spec);
  if (!plan || plan->first.name != addon.service) {
    return make_error(
        ErrorCode::kInvalidParams,
        "Couldn't find either the add-on service or the add-on plan of \"" + spec + "\".");
  }
  if (!plan->first.plan_changes) {
    return make_error(ErrorCode::kInvalidParams,
                      addon.service + " add-ons cannot change plan on this Slipway.");
  }
  auto change = deps.store.begin_plan_change(ctx.account, addon.id, plan->second.name, new_uuid());
  if (!change) return change.error();
  deps.addons.addons_changed();
  auto moving = deps.store.find_addon(addon.id);
  if (!moving) return moving.error();
  moving->plan = plan->second.name;
  return addon_reply(deps, http::status::ok, *moving);
}

Result<Reply> update_addon(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto addon = load_app_addon(deps, ctx, *app);
  if (!addon) return addon.error();
  auto body = parse_addon_update(ctx.request.body());
  if (!body) return body.error();
  if (body->plan) return change_plan(deps, ctx, *addon, *body->plan);
  auto renamed = deps.store.rename_addon(addon->id, *body->name);
  if (!renamed) return renamed.error();
  return addon_reply(deps, http::status::ok, *renamed);
}

// POST /actions/addons/resolve: {"addon": "NAME|ID|ATTACHMENT|SERVICE[:PLAN]|app::NAME", "app":
// ...}; attachment, service and plan names only on an app. An array of every match (the CLI
// reports ambiguity itself); 404 not_found when there is none.
Result<Reply> resolve_addons(const ApiDeps& deps, RequestContext& ctx) {
  auto body = parse_resolve(ctx.request.body(), "addon");
  if (!body) return body.error();
  std::string ref = body->ref;
  std::optional<std::string> app_ref = body->app;
  if (const auto sep = ref.find("::"); sep != std::string::npos) {
    app_ref = ref.substr(0, sep);
    ref = ref.substr(sep + 2);
  }
  std::vector<store::Addon> matches;
  const auto add = [&](const store::Addon& addon) {
    if (body->addon_service && addon.service != *body->addon_service) return;
    if (std::none_of(matches.begin(), matches.end(),
                     [&](const auto& m) { return m.id == addon.id; })) {
      matches.push_back(addon);
    }
  };
  if (auto addon = find_accessible_addon(deps, ref, ctx.account)) add(*addon);
  if (app_ref) {
    if (auto app = find_accessible_app(deps.store, *app_ref, ctx.account)) {
      auto attachments = deps.store.list_attachments(app->id, std::nullopt);
      if (!attachments) return attachments.error();
      for (const auto& t : *attachments) {
        if (t.name == ref || t.config_var() == ref || names_service_or_plan(t.addon, ref)) {
          add(t.addon);
        }
      }
    }
  }
  if (matches.empty()) return make_error(ErrorCode::kNotFound, "Couldn't find that add-on.");
  json out = json::array();
  for (const auto& addon : matches) out.push_back(addon_json(addon, deps.addons));
  return Reply{http::status::ok, out, {}};
}

Result<Reply> list_services(const ApiDeps& deps, RequestContext&) {
  json out = json::array();
  for (const auto& service : deps.addons.services()) out.push_back(addon_service_json(service));
  return Reply{http::status::ok, out, {}};
}

Result<Reply> show_service(const ApiDeps& deps, RequestContext& ctx) {
  auto service = find_service(deps.addons, ctx.param("service"));
  if (!service) return service.error();
  return Reply{http::status::ok, addon_service_json(*service), {}};
}

Result<Reply> list_plans(const ApiDeps& deps, RequestContext& ctx) {
  auto service = find_service(deps.addons, ctx.param("service"));
  if (!service) return service.error();
  json out = json::array();
  for (const auto& plan : service->plans) out.push_back(addon_plan_json(*service, plan));
  return Reply{http::status::ok, out, {}};
}

Result<Reply> show_plan(const ApiDeps& deps, RequestContext& ctx) {
  auto service = find_service(deps.addons, ctx.param("service"));
  if (!service) return service.error();
  std::string_view plan_name = ctx.param("plan");
  if (plan_name.starts_with(service->name + ":")) plan_name.remove_prefix(service->name.size() + 1);
  auto plan = deps.addons.find_plan(*service, plan_name);
  if (!plan) return plan.error();
  return Reply{http::status::ok, addon_plan_json(*service, *plan), {}};
}

}  // namespace

void register_addon_routes(Routes& routes, const ApiDeps& deps) {
  const auto bind = [&deps](ResourceHandler fn) { return with_deps(deps, fn); };
  routes.add(http::verb::get, "/apps/{app}/addons", bind(list_app_addons));
  routes.add(http::verb::post, "/apps/{app}/addons", bind(create_addon));
  routes.add(http::verb::get, "/apps/{app}/addons/{addon}", bind(show_app_addon));
  routes.add(http::verb::patch, "/apps/{app}/addons/{addon}", bind(update_addon));
  routes.add(http::verb::delete_, "/apps/{app}/addons/{addon}", bind(destroy_addon));
  routes.add(http::verb::get, "/addons", bind(list_all_addons));
  routes.add(http::verb::get, "/addons/{addon}", bind(show_addon));
  routes.add(http::verb::post, "/actions/addons/resolve", bind(resolve_addons));
  routes.add(http::verb::get, "/addon-services", bind(list_services));
  routes.add(http::verb::get, "/addon-services/{service}", bind(show_service));
  routes.add(http::verb::get, "/addon-services/{service}/plans", bind(list_plans));
  routes.add(http::verb::get, "/addon-services/{service}/plans/{plan}", bind(show_plan));
}

}  // namespace slipway::api
