// Collaborators: an app's owner is its only collaborator until team features exist.
#include "api/app_access.h"
#include "api/resources.h"
#include "api/views.h"

namespace slipway::api {

void register_collaborator_routes(Routes& routes, const ApiDeps& deps) {
  routes.add(
      http::verb::get, "/apps/{app}/collaborators", [&deps](RequestContext& ctx) -> Result<Reply> {
        auto app = load_app(deps.store, ctx);
        if (!app) return app.error();
        return Reply{http::status::ok, nlohmann::json::array({owner_collaborator_json(*app)}), {}};
      });
}

}  // namespace slipway::api
