// Heroku's app-name rule, and Heroku-style generated names ("sleepy-meadow-81798").
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace slipway::api {

// 3–30 characters of lowercase letters, digits and dashes, starting with a letter and ending
// with a letter or digit. The error message is Heroku's wording.
Status validate_app_name(std::string_view name);

// A random adjective-noun-number name that passes validate_app_name.
std::string generate_app_name();

}  // namespace slipway::api
