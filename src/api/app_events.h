// The platform's own lines in an app's log (`app[api]`), as Heroku writes them for releases
// and scaling, so `heroku logs` shows what changed and who changed it.
#pragma once

#include <string>

#include "api/resources.h"

namespace slipway::api {

// "<description> by user <email>" then "Release vN created by user <email>".
void log_release(const ApiDeps& deps, const store::Release& release);
// "<what> by user <email>", e.g. "Scaled to web@2:Basic by user dev@example.com".
void log_api_event(const ApiDeps& deps, const std::string& app_id, const std::string& what,
                   const std::string& email);

}  // namespace slipway::api
