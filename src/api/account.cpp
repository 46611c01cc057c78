// GET /account and /users/{~|id|email}: the caller's own account.
#include "api/app_access.h"
#include "api/resources.h"
#include "api/views.h"

namespace slipway::api {

void register_account_routes(Routes& routes, const ApiDeps& /*deps*/) {
  // Also answers the CLI's particleboard delinquency probe, which reads only two optional fields.
  routes.add(http::verb::get, "/account", [](RequestContext& ctx) -> Result<Reply> {
    return Reply{http::status::ok, account_json(ctx.account), {}};
  });
  routes.add(http::verb::get, "/users/{user}", [](RequestContext& ctx) -> Result<Reply> {
    if (!names_caller(ctx, ctx.param("user"))) {
      return make_error(ErrorCode::kNotFound, "Couldn't find that user.");
    }
    return Reply{http::status::ok, account_json(ctx.account), {}};
  });
}

}  // namespace slipway::api
