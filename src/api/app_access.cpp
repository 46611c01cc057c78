#include "api/app_access.h"

namespace slipway::api {

Result<store::App> load_app(store::Store& store, const RequestContext& ctx) {
  return find_accessible_app(store, ctx.param("app"), ctx.account);
}

Result<store::App> find_accessible_app(store::Store& store, std::string_view name_or_id,
                                       const store::Account& account) {
  auto app = store.find_app(name_or_id);
  if (!app) return app.error();
  if (app->owner_id != account.id) {
    return make_error(ErrorCode::kForbidden,
                      "You do not have access to the app " + app->name + ".");
  }
  return app;
}

}  // namespace slipway::api

namespace slipway::api {

bool names_caller(const RequestContext& ctx, std::string_view user) {
  return user == "~" || user == ctx.account.id || user == ctx.account.email;
}

}  // namespace slipway::api
