// Pipeline couplings. Pipelines are a later capability; until then no app is in one, which the
// CLI (apps:info) expects to learn as a 404.
#include "api/app_access.h"
#include "api/resources.h"

namespace slipway::api {

void register_pipeline_coupling_routes(Routes& routes, const ApiDeps& deps) {
  routes.add(http::verb::get, "/apps/{app}/pipeline-couplings",
             [&deps](RequestContext& ctx) -> Result<Reply> {
               auto app = load_app(deps.store, ctx);
               if (!app) return app.error();
               return make_error(ErrorCode::kNotFound,
                                 "App " + app->name + " is not in a pipeline.");
             });
}

}  // namespace slipway::api
