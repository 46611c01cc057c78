#include "api/app_events.h"

#include "logs/app_log.h"

namespace slipway::api {

void log_api_event(const ApiDeps& deps, const std::string& app_id, const std::string& what,
                   const std::string& email) {
  if (deps.settings.data_dir.empty()) return;
  logs::append_line(deps.settings.data_dir, app_id, "app", "api", what + " by user " + email);
}

}  // namespace slipway::api
