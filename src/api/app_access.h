// Finding the app a request names ({app}: name or id) and checking the caller may use it.
#pragma once

#include "api/routing.h"
#include "common/result.h"
#include "store/store.h"

namespace slipway::api {

Result<store::App> load_app(store::Store& store, const RequestContext& ctx);

// The app `name_or_id` names, if `account` may use it (kNotFound, kForbidden otherwise).
Result<store::App> find_accessible_app(store::Store& store, std::string_view name_or_id,
                                       const store::Account& account);

}  // namespace slipway::api

namespace slipway::api {

// True when a /users/{user} segment ("~", an id or an email) names the caller.
bool names_caller(const RequestContext& ctx, std::string_view user);

}  // namespace slipway::api
