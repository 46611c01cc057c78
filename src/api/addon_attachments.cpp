// Add-on attachments: list (account-wide, per app, per add-on), show, attach (with Heroku's
// confirmation to replace a name in use), detach, and the resolve action every `pg:` command
// starts with.
#include <algorithm>

#include "api/addon_access.h"
#include "api/addon_bodies.h"
#include "api/addon_views.h"
#include "api/app_access.h"
#include "api/resources.h"

namespace slipway::api {
namespace {

using nlohmann::json;

Reply attachments_reply(const ApiDeps& deps, const std::vector<store::AddonAttachment>& list) {
  json out = json::array();
  for (const auto& t : list) out.push_back(attachment_json(t, deps.addons));
  return Reply{http::status::ok, out, {}};
}

// The caller's apps' attachments, or, with `app`, that app's.
Result<std::vector<store::AddonAttachment>> visible_attachments(const ApiDeps& deps,
                                                                const store::Account& account) {
  auto apps = deps.store.list_apps(account.id);
  if (!apps) return apps.error();
  std::vector<store::AddonAttachment> out;
  for (const auto& app : *apps) {
    auto list = deps.store.list_attachments(app.id, std::nullopt);
    if (!list) return list.error();
    out.insert(out.end(), list->begin(), list->end());
  }
  return out;
}

Result<Reply> list_all(const ApiDeps& deps, RequestContext& ctx) {
  auto list = visible_attachments(deps, ctx.account);
  if (!list) return list.error();
  return attachments_reply(deps, *list);
}

Result<Reply> list_for_app(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto list = deps.store.list_attachments(app->id, std::nullopt);
  if (!list) return list.error();
  return attachments_reply(deps, *list);
}

Result<Reply> list_for_addon(const ApiDeps& deps, RequestContext& ctx) {
  auto addon = find_accessible_addon(deps, ctx.param("addon"), ctx.account);
  if (!addon) return addon.error();
  auto list = deps.store.list_attachments(std::nullopt, addon->id);
  if (!list) return list.error();
  return attachments_reply(deps, *list);
}

Result<store::AddonAttachment> load_attachment(const ApiDeps& deps, const RequestContext& ctx) {
  auto attachment = deps.store.find_attachment(ctx.param("attachment"));
  if (!attachment) return attachment.error();
  if (!find_accessible_app(deps.store, attachment->app_id, ctx.account)) {
    return make_error(ErrorCode::kNotFound, "Couldn't find that add-on attachment.");
  }
  return attachment;
}

Result<Reply> show(const ApiDeps& deps, RequestContext& ctx) {
  auto attachment = load_attachment(deps, ctx);
  if (!attachment) return attachment.error();
  return Reply{http::status::ok, attachment_json(*attachment, deps.addons), {}};
}

Result<Reply> show_for_app(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  const std::string& ref = ctx.param("attachment");
  auto list = deps.store.list_attachments(app->id, std::nullopt);
  if (!list) return list.error();
  for (const auto& t : *list) {
    if (t.id == ref || (t.name == ref && !t.namespace_name)) {
      return Reply{http::status::ok, attachment_json(t, deps.addons), {}};
    }
  }
  return make_error(ErrorCode::kNotFound, "Couldn't find that add-on attachment.");
}

Result<Reply> attach(const ApiDeps& deps, RequestContext& ctx) {
  auto body = parse_attachment_create(ctx.request.body());
  if (!body) return body.error();
  auto addon = find_accessible_addon(deps, body->addon, ctx.account);
  if (!addon) return addon.error();
  auto app = find_accessible_app(deps.store, body->app, ctx.account);
  if (!app) return app.error();
  auto service = find_service(deps.addons, addon->service);
  if (!service) return service.error();
  store::NewAttachment spec;
  spec.addon_id = addon->id;
  spec.app_id = app->id;
  spec.namespace_name = body->namespace_name;
  spec.name_candidates =
      body->name ? std::vector<std::string>{*body->name} : attachment_name_candidates(*service);
  spec.replace = body->confirm && *body->confirm == app->name;
  if (body->name && !spec.replace) {
    auto existing = deps.store.find_attachment_by_name(app->id, *body->name);
    if (existing && !body->namespace_name) {
      return make_error(ErrorCode::kConfirmationRequired,
                        "This will replace " + *body->name + " (" + existing->addon.name + ") on " +
                            app->name + " with " + addon->name + ".");
    }
  }
  using Attached = std::pair<store::AddonAttachment, store::AddonChange>;
  auto attached = releasing<Attached>(
      deps, [&] { return deps.store.attach_addon(ctx.account, spec); },
      [](const Attached& a) { return a.second.releases; });
  if (!attached) {
    Error error = attached.error();
    if (error.code == ErrorCode::kConflict) error.code = ErrorCode::kInvalidParams;
    return error;
  }
  return Reply{http::status::created, attachment_json(attached->first, deps.addons), {}};
}

Result<Reply> detach(const ApiDeps& deps, RequestContext& ctx) {
  auto attachment = load_attachment(deps, ctx);
  if (!attachment) return attachment.error();
  auto detached = releasing<store::AddonChange>(
      deps, [&] { return deps.store.detach_addon(ctx.account, attachment->id); },
      [](const store::AddonChange& c) { return c.releases; });
  if (!detached) return detached.error();
  return Reply{http::status::ok, attachment_json(*attachment, deps.addons), {}};
}

// POST /actions/addon-attachments/resolve: {"addon_attachment": "DATABASE" | "DATABASE_URL" |
// add-on name or id | service or plan name (on an app) | "app::NAME", "app": ...}. The
// attachments on the app that match, one per add-on; 404 not_found when none does (the CLI then
// falls back on the config vars).
Result<Reply> resolve(const ApiDeps& deps, RequestContext& ctx) {
  auto body = parse_resolve(ctx.request.body(), "addon_attachment");
  if (!body) return body.error();
  std::string ref = body->ref;
  std::optional<std::string> app_ref = body->app;
  if (const auto sep = ref.find("::"); sep != std::string::npos) {
    app_ref = ref.substr(0, sep);
    ref = ref.substr(sep + 2);
  }
  std::vector<store::AddonAttachment> candidates;
  if (app_ref) {
    auto app = find_accessible_app(deps.store, *app_ref, ctx.account);
    if (!app) return app.error();
    auto list = deps.store.list_attachments(app->id, std::nullopt);
    if (!list) return list.error();
    candidates = std::move(*list);
  } else {
    auto list = visible_attachments(deps, ctx.account);
    if (!list) return list.error();
    candidates = std::move(*list);
  }
  std::vector<store::AddonAttachment> matches;
  for (const auto& t : candidates) {
    if (body->addon_service && t.addon.service != *body->addon_service) continue;
    if (t.name == ref || t.config_var() == ref || t.id == ref) matches.push_back(t);
  }
  if (matches.empty()) {  // an add-on's name, id, service or plan: its attachment, DATABASE first
    for (const auto& t : candidates) {
      const bool names_addon = t.addon.name == ref || t.addon.id == ref ||
                               (app_ref && names_service_or_plan(t.addon, ref));
      if (!names_addon || t.namespace_name) continue;
      const auto same = std::find_if(matches.begin(), matches.end(),
                                     [&](const auto& m) { return m.addon.id == t.addon.id; });
      if (same == matches.end()) {
        matches.push_back(t);
      } else if (t.name == "DATABASE") {
        *same = t;
      }
    }
  }
  if (matches.empty()) {
    return make_error(ErrorCode::kNotFound, "Couldn't find that add-on attachment.");
  }
  return attachments_reply(deps, matches);
}

}  // namespace

void register_addon_attachment_routes(Routes& routes, const ApiDeps& deps) {
  const auto bind = [&deps](ResourceHandler fn) { return with_deps(deps, fn); };
  routes.add(http::verb::get, "/addon-attachments", bind(list_all));
  routes.add(http::verb::post, "/addon-attachments", bind(attach));
  routes.add(http::verb::get, "/addon-attachments/{attachment}", bind(show));
  routes.add(http::verb::delete_, "/addon-attachments/{attachment}", bind(detach));
  routes.add(http::verb::get, "/addons/{addon}/addon-attachments", bind(list_for_addon));
  routes.add(http::verb::get, "/apps/{app}/addon-attachments", bind(list_for_app));
  routes.add(http::verb::get, "/apps/{app}/addon-attachments/{attachment}", bind(show_for_app));
  routes.add(http::verb::post, "/actions/addon-attachments/resolve", bind(resolve));
}

}  // namespace slipway::api
