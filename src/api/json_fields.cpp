#include "api/json_fields.h"

namespace slipway::api {

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

Result<std::optional<std::string>> optional_string(const json& object, const char* field) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return wrong_type(field, "a string");
  return std::optional<std::string>(it->get<std::string>());
}

}  // namespace slipway::api
