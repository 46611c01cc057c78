#include "api/request_bodies.h"

#include <nlohmann/json.hpp>

namespace slipway::api {
namespace {

using nlohmann::json;

Result<json> parse_object(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return make_error(ErrorCode::kBadRequest, "The request body is not valid JSON.");
  }
  if (!parsed.is_object()) {
    return make_error(ErrorCode::kBadRequest, "The request body must be a JSON object.");
  }
  return parsed;
}

Error wrong_type(std::string_view field, std::string_view expected) {
  return make_error(ErrorCode::kInvalidParams, "Invalid `" + std::string(field) + "`: expected " +
                                                   std::string(expected) + ".");
}

// Reads an optional string field; null counts as absent.
Result<std::optional<std::string>> optional_string(const json& object, const char* field) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return wrong_type(field, "a string");
  return std::optional<std::string>(it->get<std::string>());
}

}  // namespace

Result<AppCreateBody> parse_app_create(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  AppCreateBody out;
  for (const auto& [field, target] :
       {std::pair{"name", &out.name}, {"region", &out.region}, {"stack", &out.stack}}) {
    auto value = optional_string(*object, field);
    if (!value) return value.error();
    *target = std::move(*value);
  }
  return out;
}

Result<AppUpdateBody> parse_app_update(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  AppUpdateBody out;
  auto name = optional_string(*object, "name");
  if (!name) return name.error();
  out.name = std::move(*name);
  if (const auto it = object->find("maintenance"); it != object->end() && !it->is_null()) {
    if (!it->is_boolean()) return wrong_type("maintenance", "true or false");
    out.maintenance = it->get<bool>();
  }
  return out;
}

Status validate_config_key(std::string_view key) {
  bool valid = !key.empty() && key.size() <= 256 && !(key[0] >= '0' && key[0] <= '9');
  for (const char c : key) {
    valid = valid && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_');
  }
  if (!valid) {
    return make_error(ErrorCode::kInvalidParams,
                      "Invalid config var name `" + std::string(key.substr(0, 64)) +
                          "`: use letters, digits and underscores, not starting with a digit.");
  }
  if (key.substr(0, 2) == "__") {
    return make_error(ErrorCode::kInvalidParams, "Invalid config var name `" +
                                                     std::string(key.substr(0, 64)) +
                                                     "`: names starting with `__` are reserved.");
  }
  return {};
}

Result<store::ConfigChanges> parse_config_patch(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  store::ConfigChanges changes;
  for (const auto& [key, value] : object->items()) {
    if (auto valid = validate_config_key(key); !valid) return valid.error();
    if (value.is_null()) {
      changes.emplace(key, std::nullopt);
    } else if (value.is_string()) {
      changes.emplace(key, value.get<std::string>());
    } else {
      return make_error(ErrorCode::kInvalidParams, "Invalid value for config var `" + key +
                                                       "`: expected a string, or null to "
                                                       "remove it.");
    }
  }
  return changes;
}

}  // namespace slipway::api
