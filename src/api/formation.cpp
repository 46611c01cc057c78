// Formation: GET and PATCH the desired dynos per process type (ps:scale, ps:type).
#include "api/app_access.h"
#include "api/app_events.h"
#include "api/formation_updates.h"
#include "api/resources.h"

namespace slipway::api {
namespace {

using nlohmann::json;

json formation_json(const store::App& app, const std::string& type, std::int64_t quantity,
                    const std::string& size, const std::string& command, const std::string& id,
                    const std::string& created_at, const std::string& updated_at) {
  return {{"id", id},
          {"app", {{"id", app.id}, {"name", app.name}}},
          {"type", type},
          {"command", command},
          {"quantity", quantity},
          {"size", size},
          {"created_at", created_at},
          {"updated_at", updated_at}};
}

// Every process type the current slug declares (quantity 0 when never scaled), plus types scaled
// before any release brought them, which are remembered and applied when one does.
Result<json> formation_list(const ApiDeps& deps, const store::App& app) {
  auto entries = deps.store.formation(app.id);
  if (!entries) return entries.error();
  auto slug = deps.store.current_slug(app.id);
  if (!slug) return slug.error();
  std::map<std::string, std::string> commands;
  if (*slug) commands = (*slug)->process_types;
  json out = json::array();
  for (const auto& e : *entries) {
    const auto cmd = commands.find(e.type);
    out.push_back(formation_json(app, e.type, e.quantity, e.size,
                                 cmd == commands.end() ? "" : cmd->second, e.id, e.created_at,
                                 e.updated_at));
    if (cmd != commands.end()) commands.erase(cmd);
  }
  for (const auto& [type, command] : commands) {
    out.push_back(formation_json(app, type, 0, "Basic", command, app.id + ":" + type,
                                 app.created_at, app.updated_at));
  }
  return out;
}

// The entry for `type` in a formation list, if there is one.
const json* find_entry(const json& list, const std::string& type) {
  for (const auto& entry : list) {
    if (entry["type"] == type) return &entry;
  }
  return nullptr;
}

Result<Reply> apply(const ApiDeps& deps, RequestContext& ctx, const store::App& app,
                    const std::vector<store::FormationUpdate>& updates) {
  auto slug = deps.store.current_slug(app.id);
  if (!slug) return slug.error();
  for (const auto& u : updates) {
    if (!*slug || (*slug)->process_types.count(u.type) == 0) {
      // Heroku refuses ("Couldn't find that process type"); we keep the request instead.
      ctx.warnings.push_back("No `" + u.type + "` process type is deployed on " + app.name +
                             " yet; the formation is remembered and applied when a release "
                             "brings it.");
    }
  }
  auto updated = deps.store.update_formation(app.id, updates, kMaxDynosPerType);
  if (!updated) return updated.error();
  std::string scaled;
  for (const auto& e : *updated) {
    for (const auto& u : updates) {
      if (u.type == e.type)
        scaled += " " + e.type + "@" + std::to_string(e.quantity) + ":" + e.size;
    }
  }
  log_api_event(deps, app.id, "Scaled to" + scaled, ctx.account.email);
  deps.runtime.app_changed(app.id);
  auto list = formation_list(deps, app);
  if (!list) return list.error();
  return Reply{http::status::ok, *list, {}};
}

Result<Reply> list(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto out = formation_list(deps, *app);
  if (!out) return out.error();
  return Reply{http::status::ok, *out, {}};
}

Result<Reply> info(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto out = formation_list(deps, *app);
  if (!out) return out.error();
  if (const json* entry = find_entry(*out, ctx.param("type"))) {
    return Reply{http::status::ok, *entry, {}};
  }
  return make_error(ErrorCode::kNotFound,
                    "Couldn't find that process type (" + ctx.param("type") + ").");
}

Result<Reply> batch_update(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto updates = parse_formation_batch(ctx.request.body());
  if (!updates) return updates.error();
  return apply(deps, ctx, *app, *updates);
}

Result<Reply> single_update(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto update = parse_formation_single(ctx.param("type"), ctx.request.body());
  if (!update) return update.error();
  auto reply = apply(deps, ctx, *app, {*update});
  if (!reply) return reply.error();
  if (const json* entry = find_entry(reply->body, update->type)) {
    return Reply{http::status::ok, *entry, {}};
  }
  return reply;
}

}  // namespace

void register_formation_routes(Routes& routes, const ApiDeps& deps) {
  routes.add(http::verb::get, "/apps/{app}/formation",
             [&deps](RequestContext& ctx) { return list(deps, ctx); });
  routes.add(http::verb::patch, "/apps/{app}/formation",
             [&deps](RequestContext& ctx) { return batch_update(deps, ctx); });
  routes.add(http::verb::get, "/apps/{app}/formation/{type}",
             [&deps](RequestContext& ctx) { return info(deps, ctx); });
  routes.add(http::verb::patch, "/apps/{app}/formation/{type}",
             [&deps](RequestContext& ctx) { return single_update(deps, ctx); });
}

}  // namespace slipway::api
