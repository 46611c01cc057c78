#include "api/addon_bodies.h"

#include "api/json_fields.h"

namespace slipway::api {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxNameBytes = 256;
constexpr std::size_t kMaxConfigEntries = 32;

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A string field, or an object's "name" (or "id"): {"plan":{"name":"x"}} and {"plan":"x"}.
Result<std::optional<std::string>> name_or_object(const json& object, const char* field) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<std::string>{};
  if (it->is_string()) return std::optional<std::string>(it->get<std::string>());
  if (!it->is_object()) return wrong_type(field, "a name or an object with a name");
  for (const char* key : {"name", "id"}) {
    auto value = optional_string(*it, key);
    if (!value) return wrong_type(field, "a name or an object with a name");
    if (*value) return value;
  }
  return std::optional<std::string>{};
}

Result<std::string> required(Result<std::optional<std::string>> value, const char* field) {
  if (!value) return value.error();
  if (!*value || (*value)->empty()) {
    return make_error(ErrorCode::kInvalidParams, "Missing `" + std::string(field) + "`.");
  }
  return std::move(**value);
}

Result<std::map<std::string, std::string>> parse_config(const json& object) {
  std::map<std::string, std::string> out;
  const auto it = object.find("config");
  if (it == object.end() || it->is_null()) return out;
  if (!it->is_object()) return wrong_type("config", "an object of strings");
  if (it->size() > kMaxConfigEntries) {
    return make_error(ErrorCode::kInvalidParams, "Too many `config` options.");
  }
  for (const auto& [key, value] : it->items()) {
    if (key.empty() || key.size() > kMaxNameBytes) return wrong_type("config", "named options");
    if (value.is_string()) {
      out[key] = value.get<std::string>();
    } else if (value.is_boolean()) {
      out[key] = value.get<bool>() ? "true" : "false";  // `-- --flag` alone sends true
    } else {
      return wrong_type("config", "an object of strings");
    }
  }
  return out;
}

}  // namespace

Status validate_addon_name(std::string_view name) {
  bool valid = !name.empty() && name.size() <= kMaxNameBytes && is_lower(name[0]);
  for (const char c : name) valid = valid && (is_lower(c) || is_digit(c) || c == '-');
  if (valid) return {};
  return make_error(ErrorCode::kInvalidParams,
                    "Name must start with a letter and can only contain lowercase letters, "
                    "numbers, and dashes.");
}

Status validate_attachment_name(std::string_view name) {
  bool valid = !name.empty() && name.size() <= kMaxNameBytes && is_upper(name[0]);
  for (const char c : name) valid = valid && (is_upper(c) || is_digit(c) || c == '_');
  if (valid) return {};
  return make_error(ErrorCode::kInvalidParams,
                    "Name must start with a letter and can only contain uppercase letters, "
                    "numbers, and underscores.");
}

Result<AddonCreateBody> parse_addon_create(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  AddonCreateBody out;
  auto plan = required(name_or_object(*object, "plan"), "plan");
  if (!plan) return plan.error();
  out.plan = std::move(*plan);
  auto name = optional_string(*object, "name");
  if (!name) return name.error();
  if (*name) {
    if (auto valid = validate_addon_name(**name); !valid) return valid.error();
    out.name = std::move(*name);
  }
  auto attachment = name_or_object(*object, "attachment");
  if (!attachment) return attachment.error();
  if (*attachment && !(*attachment)->empty()) {
    if (auto valid = validate_attachment_name(**attachment); !valid) return valid.error();
    out.attachment_name = std::move(*attachment);
  }
  auto config = parse_config(*object);
  if (!config) return config.error();
  out.config = std::move(*config);
  auto confirm = optional_string(*object, "confirm");
  if (!confirm) return confirm.error();
  out.confirm = std::move(*confirm);
  return out;
}

Result<AttachmentCreateBody> parse_attachment_create(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  AttachmentCreateBody out;
  auto addon = required(name_or_object(*object, "addon"), "addon");
  if (!addon) return addon.error();
  out.addon = std::move(*addon);
  auto app = required(name_or_object(*object, "app"), "app");
  if (!app) return app.error();
  out.app = std::move(*app);
  for (const auto& [field, target] : {std::pair{"name", &out.name},
                                      {"namespace", &out.namespace_name},
                                      {"confirm", &out.confirm}}) {
    auto value = optional_string(*object, field);
    if (!value) return value.error();
    *target = std::move(*value);
  }
  if (out.name) {
    if (auto valid = validate_attachment_name(*out.name); !valid) return valid.error();
  }
  if (out.namespace_name && out.namespace_name->size() > kMaxNameBytes) {
    return wrong_type("namespace", "a credential namespace");
  }
  return out;
}

Result<AddonUpdateBody> parse_addon_update(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  AddonUpdateBody out;
  auto name = optional_string(*object, "name");
  if (!name) return name.error();
  if (*name) {
    if (auto valid = validate_addon_name(**name); !valid) return valid.error();
    out.name = std::move(*name);
  }
  auto plan = name_or_object(*object, "plan");
  if (!plan) return plan.error();
  out.plan = std::move(*plan);
  if (!out.name && !out.plan) {
    return make_error(ErrorCode::kInvalidParams, "Pass a new `name` or `plan`.");
  }
  return out;
}

Result<ResolveBody> parse_resolve(std::string_view body, const char* field) {
  auto object = parse_object(body);
  if (!object) return object.error();
  ResolveBody out;
  auto ref = required(optional_string(*object, field), field);
  if (!ref) return ref.error();
  if (ref->size() > 2 * kMaxNameBytes + 2) return wrong_type(field, "a name");
  out.ref = std::move(*ref);
  for (const auto& [key, target] :
       {std::pair{"app", &out.app}, {"addon_service", &out.addon_service}}) {
    auto value = optional_string(*object, key);
    if (!value) return value.error();
    *target = std::move(*value);
  }
  return out;
}

}  // namespace slipway::api
