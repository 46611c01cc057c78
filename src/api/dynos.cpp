// An app's dynos. The runtime agent that starts them is a later capability; until it exists no
// app has a running dyno, which is what apps:info shows.
#include "api/app_access.h"
#include "api/resources.h"

namespace slipway::api {

void register_dyno_routes(Routes& routes, const ApiDeps& deps) {
  routes.add(http::verb::get, "/apps/{app}/dynos", [&deps](RequestContext& ctx) -> Result<Reply> {
    auto app = load_app(deps.store, ctx);
    if (!app) return app.error();
    return Reply{http::status::ok, nlohmann::json::array(), {}};
  });
}

}  // namespace slipway::api
