// JSON shapes of the Platform API resources, as the heroku CLI reads them.
#pragma once

#include <nlohmann/json.hpp>

#include "api/settings.h"
#include "store/models.h"

namespace slipway::api {

// A deterministic UUID-shaped id derived from a name, for fixed resources (regions, stacks,
// add-on services and plans).
std::string fixed_id(std::string_view kind, std::string_view name);

nlohmann::json account_json(const store::Account& account);
nlohmann::json app_json(const store::App& app, const ApiSettings& settings);
// `api_url` builds the release phase's output URL (a capability, since the CLI fetches it
// without credentials).
nlohmann::json release_json(const store::Release& release, const store::App& app,
                            const std::string& api_url);
nlohmann::json build_json(const store::Build& build, const std::string& api_url);
// One element of GET/PUT /apps/{app}/buildpack-installations.
nlohmann::json buildpack_installation_json(const std::string& url, std::size_t ordinal);
std::string release_output_url(const std::string& api_url, const std::string& release_id,
                               const std::string& secret);
std::string build_output_url(const std::string& api_url, const std::string& build_id,
                             const std::string& secret);
nlohmann::json owner_collaborator_json(const store::App& app);
// `upload_url` is known only when the slug is created (only a hash of its secret is kept).
nlohmann::json slug_json(const store::Slug& slug, const std::optional<std::string>& upload_url);

// The one region a single Slipway installation has; its name matches Heroku's default.
inline constexpr const char* kRegionName = "us";

}  // namespace slipway::api
