// JSON shapes of the Platform API resources, as the heroku CLI reads them.
#pragma once

#include <nlohmann/json.hpp>

#include "api/settings.h"
#include "store/models.h"

namespace slipway::api {

nlohmann::json account_json(const store::Account& account);
nlohmann::json app_json(const store::App& app, const ApiSettings& settings);
nlohmann::json release_json(const store::Release& release, const store::App& app);
nlohmann::json owner_collaborator_json(const store::App& app);
// `upload_url` is known only when the slug is created (only a hash of its secret is kept).
nlohmann::json slug_json(const store::Slug& slug, const std::optional<std::string>& upload_url);

// The one region a single Slipway installation has; its name matches Heroku's default.
inline constexpr const char* kRegionName = "us";

}  // namespace slipway::api
