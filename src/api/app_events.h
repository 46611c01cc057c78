// The platform's own lines in an app's log (`app[api]`), as Heroku writes them for app creation
// and scaling (releases: daemon/release_service), so `heroku logs` shows what changed and who.
#pragma once

#include <string>

#include "api/resources.h"

namespace slipway::api {

// "<what> by user <email>", e.g. "Scaled to web@2:Basic by user dev@example.com".
void log_api_event(const ApiDeps& deps, const std::string& app_id, const std::string& what,
                   const std::string& email);

}  // namespace slipway::api
