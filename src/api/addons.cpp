// An app's add-ons. Provisioning arrives with the add-on providers; until then every app has
// none, and apps:info (which does not tolerate an error here) lists none.
#include "api/app_access.h"
#include "api/resources.h"

namespace slipway::api {

void register_addon_routes(Routes& routes, const ApiDeps& deps) {
  routes.add(http::verb::get, "/apps/{app}/addons", [&deps](RequestContext& ctx) -> Result<Reply> {
    auto app = load_app(deps.store, ctx);
    if (!app) return app.error();
    return Reply{http::status::ok, nlohmann::json::array(), {}};
  });
}

}  // namespace slipway::api
