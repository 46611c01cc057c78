// Parsers for the add-on and attachment request bodies (untrusted; fuzzed by addon_body_fuzz).
// Each checks every field before anything is changed, so a bad body is refused whole.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace slipway::api {

// POST /apps/{app}/addons. `plan` is "service:plan" or "service" as the client sent it
// ({"plan":{"name":...}} or {"plan":"..."}).
struct AddonCreateBody {
  std::string plan;
  std::optional<std::string> name;
  std::optional<std::string> attachment_name;
  std::map<std::string, std::string> config;  // provider options (`-- --version 15`)
  std::optional<std::string> confirm;
};

// POST /addon-attachments.
struct AttachmentCreateBody {
  std::string addon;  // name or id
  std::string app;    // name or id
  std::optional<std::string> name;
  std::optional<std::string> namespace_name;
  std::optional<std::string> confirm;
};

// PATCH /apps/{app}/addons/{addon}: a new name or a new plan.
struct AddonUpdateBody {
  std::optional<std::string> name;
  std::optional<std::string> plan;
};

// POST /actions/addons/resolve and /actions/addon-attachments/resolve.
struct ResolveBody {
  std::string ref;  // the add-on or attachment as the user typed it
  std::optional<std::string> app;
  std::optional<std::string> addon_service;
};

Result<AddonCreateBody> parse_addon_create(std::string_view body);
Result<AttachmentCreateBody> parse_attachment_create(std::string_view body);
Result<AddonUpdateBody> parse_addon_update(std::string_view body);
// `field` is "addon" or "addon_attachment".
Result<ResolveBody> parse_resolve(std::string_view body, const char* field);

// Heroku's rules: add-on names are lower-case letters, digits and dashes, starting with a
// letter (at most 256); attachment names upper-case letters, digits and underscores, starting
// with a letter (at most 256).
Status validate_addon_name(std::string_view name);
Status validate_attachment_name(std::string_view name);

}  // namespace slipway::api
