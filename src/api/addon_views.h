// JSON shapes of add-on services, plans, add-ons and attachments, always fully expanded (what
// the CLI asks for with Accept-Expansion / Accept-Inclusion).
#pragma once

#include <nlohmann/json.hpp>

#include "api/addon_control.h"
#include "store/models.h"

namespace slipway::api {

nlohmann::json addon_service_json(const AddonServiceInfo& service);
nlohmann::json addon_plan_json(const AddonServiceInfo& service, const AddonPlanInfo& plan);
nlohmann::json addon_json(const store::Addon& addon, const AddonControl& addons);
nlohmann::json attachment_json(const store::AddonAttachment& attachment,
                               const AddonControl& addons);

}  // namespace slipway::api
