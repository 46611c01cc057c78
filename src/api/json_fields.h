// Reading JSON request bodies field by field, shared by the body parsers: a body is an object
// (an empty body counts as {}), and each field is checked for its type.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace slipway::api {

// The body as a JSON object; kBadRequest when it is not JSON or not an object.
Result<nlohmann::json> parse_object(std::string_view body);

// "Invalid `field`: expected <expected>." (kInvalidParams)
Error wrong_type(std::string_view field, std::string_view expected);

// An optional string field; null counts as absent.
Result<std::optional<std::string>> optional_string(const nlohmann::json& object, const char* field);

}  // namespace slipway::api
