#include "api/request_bodies.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/json_fields.h"

namespace slipway::api {
namespace {

using nlohmann::json;

// Log filters (dyno and source names): up to 64 ASCII letters, digits, `.`, `-` and `_`.
bool is_log_filter_text(std::string_view s) {
  if (s.size() > kMaxLogFilterBytes) return false;
  for (const char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '.' && c != '-' && c != '_') return false;
  }
  return true;
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

Status validate_process_type(std::string_view type) {
  bool valid = !type.empty() && type.size() <= 30;
  for (const char c : type) {
    valid = valid && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_');
  }
  if (!valid) {
    return make_error(ErrorCode::kInvalidParams,
                      "Invalid process type `" + std::string(type.substr(0, 64)) +
                          "`: use 1 to 30 letters, digits, `-` and `_`.");
  }
  return {};
}

Result<SlugCreateBody> parse_slug_create(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  SlugCreateBody out;
  const auto types = object->find("process_types");
  if (types == object->end() || !types->is_object()) {
    return wrong_type("process_types", "an object of process type to command");
  }
  for (const auto& [type, command] : types->items()) {
    if (auto valid = validate_process_type(type); !valid) return valid.error();
    if (!command.is_string() || command.get<std::string>().empty()) {
      return wrong_type("process_types." + type, "a non-empty command string");
    }
    out.process_types.emplace(type, command.get<std::string>());
  }
  for (const auto& [field, target] :
       {std::pair{"commit", &out.commit},
        {"commit_description", &out.commit_description},
        {"buildpack_provided_description", &out.buildpack_provided_description},
        {"stack", &out.stack}}) {
    auto value = optional_string(*object, field);
    if (!value) return value.error();
    *target = std::move(*value);
  }
  return out;
}

Result<ReleaseCreateBody> parse_release_create(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  ReleaseCreateBody out;
  for (const auto& [field, target] : {std::pair{"slug", &out.slug},
                                      {"release", &out.release},
                                      {"description", &out.description}}) {
    auto value = optional_string(*object, field);
    if (!value) return value.error();
    *target = std::move(*value);
  }
  if (out.slug.has_value() == out.release.has_value()) {
    return make_error(ErrorCode::kInvalidParams,
                      "Pass exactly one of `slug` (to deploy a slug) and `release` (to roll back "
                      "to a release).");
  }
  return out;
}

Result<LogSessionBody> parse_log_session(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  LogSessionBody out;
  if (const auto it = object->find("lines"); it != object->end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1 ||
        it->get<std::int64_t>() > kMaxLogLines) {
      return make_error(ErrorCode::kInvalidParams, "`lines` must be a whole number from 1 to " +
                                                       std::to_string(kMaxLogLines) + ".");
    }
    out.lines = it->get<std::int64_t>();
  }
  if (const auto it = object->find("tail"); it != object->end() && !it->is_null()) {
    if (!it->is_boolean()) {
      return make_error(ErrorCode::kInvalidParams, "`tail` must be true or false.");
    }
    out.tail = it->get<bool>();
  }
  for (const auto& [field, target] : {std::pair{"dyno", &out.dyno}, {"source", &out.source}}) {
    const auto it = object->find(field);
    if (it == object->end() || it->is_null()) continue;
    if (!it->is_string() || !is_log_filter_text(it->get<std::string>())) {
      return make_error(
          ErrorCode::kInvalidParams,
          std::string("`") + field + "` must be a name like `web`, `web.1` or `app`.");
    }
    *target = it->get<std::string>();
  }
  return out;
}

Result<std::string> normalize_buildpack(std::string_view buildpack) {
  const auto refuse = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidParams,
                      "Buildpack `" + std::string(buildpack.substr(0, 200)) + "` " +
                          std::string(why) +
                          ". Use heroku/nodejs, heroku/python or heroku/procfile (the built-in "
                          "buildpacks; urn:buildpack:heroku/<name> from the heroku CLI), an "
                          "absolute path or file:// URL, an https:// tarball URL, or a git URL.");
  };
  if (buildpack.empty() || buildpack.size() > kMaxBuildpackUrlBytes) {
    return refuse("is empty or too long");
  }
  for (const char c : buildpack) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return refuse("contains spaces or control characters");
    }
  }
  std::string_view name = buildpack;
  if (name.starts_with("urn:buildpack:")) name.remove_prefix(14);
  // The registry's and the old codon URLs of the official buildpacks mean the built-ins here.
  for (const std::string_view prefix :
       {std::string_view("https://buildpack-registry.s3.amazonaws.com/buildpacks/heroku/"),
        std::string_view("https://codon-buildpacks.s3.amazonaws.com/buildpacks/heroku/")}) {
    if (name.starts_with(prefix) && name.ends_with(".tgz")) {
      name = name.substr(prefix.size(), name.size() - prefix.size() - 4);
      if (name == "nodejs" || name == "python" || name == "procfile") {
        return "heroku/" + std::string(name);
      }
      return refuse("is not available offline");
    }
  }
  if (name == "heroku/nodejs" || name == "heroku/python" || name == "heroku/procfile") {
    return std::string(name);
  }
  if (name == "nodejs" || name == "python" || name == "procfile")
    return "heroku/" + std::string(name);
  if (name.starts_with("heroku/")) return refuse("is not one of the built-in buildpacks");
  if (name.starts_with("/") || name.starts_with("file:///") || name.starts_with("https://") ||
      name.starts_with("http://") || name.starts_with("git://") || name.starts_with("ssh://")) {
    if (name.find("/../") != std::string_view::npos || name.ends_with("/..")) {
      return refuse("contains `..`");
    }
    return std::string(name);
  }
  return refuse("is not a form Slipway can fetch");
}

Result<std::vector<std::string>> parse_buildpack_updates(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  const auto updates = object->find("updates");
  if (updates == object->end() || !updates->is_array()) {
    return wrong_type("updates", "an array of {\"buildpack\": \"<url or name>\"}");
  }
  if (updates->size() > kMaxBuildpacks) {
    return make_error(ErrorCode::kInvalidParams,
                      "An app can have at most " + std::to_string(kMaxBuildpacks) + " buildpacks.");
  }
  std::vector<std::string> out;
  for (const auto& update : *updates) {
    if (!update.is_object()) return wrong_type("updates[]", "an object with `buildpack`");
    const auto bp = update.find("buildpack");
    if (bp == update.end() || !bp->is_string())
      return wrong_type("updates[].buildpack", "a string");
    auto normalized = normalize_buildpack(bp->get<std::string>());
    if (!normalized) return normalized.error();
    if (std::find(out.begin(), out.end(), *normalized) != out.end()) {
      return make_error(ErrorCode::kInvalidParams,
                        "Buildpack `" + *normalized + "` is listed twice.");
    }
    out.push_back(std::move(*normalized));
  }
  return out;
}

bool is_source_url(std::string_view url) {
  if (url.size() > kMaxBuildpackUrlBytes) return false;
  if (!std::all_of(url.begin(), url.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
    return false;
  }
  const auto lower_prefix = [url](std::string_view prefix) {
    return url.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), url.begin(),
                      [](char p, char c) { return p == (c >= 'A' && c <= 'Z' ? c + 32 : c); });
  };
  std::string_view rest;
  if (lower_prefix("https://")) {
    rest = url.substr(8);
  } else if (lower_prefix("http://")) {
    rest = url.substr(7);
  } else {
    return false;
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  return !authority.empty() && authority.front() != ':';
}

Result<BuildCreateBody> parse_build_create(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  BuildCreateBody out;
  const auto source = object->find("source_blob");
  if (source == object->end() || !source->is_object()) {
    return wrong_type("source_blob", "an object with `url`");
  }
  auto url = optional_string(*source, "url");
  if (!url) return url.error();
  if (!*url || !is_source_url(**url)) {
    return wrong_type("source_blob.url",
                      "the http:// or https:// URL of a tar.gz (at most 2048 characters)");
  }
  out.source_url = **url;
  for (const auto& [field, target] :
       {std::pair{"version", &out.version}, {"checksum", &out.checksum}}) {
    auto value = optional_string(*source, field);
    if (!value) return value.error();
    if (*value && (*value)->size() > 200) return wrong_type(field, "at most 200 characters");
    *target = std::move(*value);
  }
  if (out.version && out.version->empty()) out.version.reset();
  const auto buildpacks = object->find("buildpacks");
  if (buildpacks != object->end() && !buildpacks->is_null()) {
    if (!buildpacks->is_array() || buildpacks->size() > kMaxBuildpacks) {
      return wrong_type("buildpacks", "an array of at most 8 {\"url\": ...}");
    }
    for (const auto& bp : *buildpacks) {
      const auto u = bp.is_object() ? bp.find("url") : bp.end();
      if (!bp.is_object() || u == bp.end() || !u->is_string()) {
        return wrong_type("buildpacks[].url", "a string");
      }
      auto normalized = normalize_buildpack(u->get<std::string>());
      if (!normalized) return normalized.error();
      out.buildpacks.push_back(std::move(*normalized));
    }
  }
  return out;
}

}  // namespace slipway::api
