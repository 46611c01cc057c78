// Parsers for the JSON request bodies the API accepts. Each checks every field's type and value
// before anything is changed, so a bad body is refused whole.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "store/models.h"

namespace slipway::api {

constexpr std::size_t kMaxConfigBytes = std::size_t{32} * 1024;  // Heroku's limit on an app's whole config

struct AppCreateBody {
  std::optional<std::string> name;
  std::optional<std::string> region;
  std::optional<std::string> stack;
};

struct AppUpdateBody {
  std::optional<std::string> name;
  std::optional<bool> maintenance;
};

// An absent or empty body is an empty object for these endpoints.
Result<AppCreateBody> parse_app_create(std::string_view body);
Result<AppUpdateBody> parse_app_update(std::string_view body);
// {"KEY": "value" | null, ...}; keys must be valid config var names.
Result<store::ConfigChanges> parse_config_patch(std::string_view body);

Status validate_config_key(std::string_view key);

}  // namespace slipway::api
