// Fuzzes the JSON request-body parsers against nlohmann::json directly: a body is accepted exactly
// when it is an object with well-typed fields, and every accepted config key is a valid name.
// Every input goes through every parser.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/request_bodies.h"
#include "fuzz_check.h"

namespace {

using nlohmann::json;

// Absent or null counts as "not given"; a string is the value; anything else is refused.
bool optional_string_ok(const json& object, const char* field,
                        const std::optional<std::string>& got) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return !got;
  return got && it->is_string() && it->get<std::string>() == *got;
}

// Config var names: letters, digits and underscores, no leading digit, no "__" prefix, <= 256.
bool key_ok(std::string_view key) {
  if (key.empty() || key.size() > 256 || (key[0] >= '0' && key[0] <= '9')) return false;
  if (key.substr(0, 2) == "__") return false;
  for (const char c : key) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && c != '_') return false;
  }
  return true;
}

// Log session lines: a JSON integer from 1 to 1500, signed or unsigned.
bool lines_ok(const json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>() >= 1 && v.get<std::uint64_t>() <= 1500;
  return v.is_number_integer() && v.get<std::int64_t>() >= 1 && v.get<std::int64_t>() <= 1500;
}

// Log session dyno and source filters: strings of at most 64 of [A-Za-z0-9._-].
bool filter_ok(const json& v) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  return s.size() <= 64 &&
         s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
             std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto create = slipway::api::parse_app_create(body);
  const auto update = slipway::api::parse_app_update(body);
  const auto patch = slipway::api::parse_config_patch(body);
  FUZZ_CHECK(slipway::api::validate_config_key(body).ok() == key_ok(body));
  // The Slug API bodies: accepted slugs name only valid process types with commands, and a
  // release body names exactly one of slug and release.
  if (const auto slug = slipway::api::parse_slug_create(body); slug.ok()) {
    for (const auto& [type, command] : slug->process_types) {
      FUZZ_CHECK(slipway::api::validate_process_type(type).ok() && !command.empty());
    }
  }
  if (const auto release = slipway::api::parse_release_create(body); release.ok()) {
    FUZZ_CHECK(release->slug.has_value() != release->release.has_value());
  }
  // Build and buildpack bodies: every accepted buildpack is in its canonical form (normalizing
  // it again changes nothing), without spaces or control characters, and not listed twice.
  const auto canonical = [](const std::string& url) {
    const auto again = slipway::api::normalize_buildpack(url);
    if (!again.ok() || *again != url) return false;
    for (const char c : url) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
    }
    return url.size() <= slipway::api::kMaxBuildpackUrlBytes;
  };
  if (const auto updates = slipway::api::parse_buildpack_updates(body); updates.ok()) {
    FUZZ_CHECK(updates->size() <= slipway::api::kMaxBuildpacks);
    for (std::size_t i = 0; i < updates->size(); ++i) {
      FUZZ_CHECK(canonical((*updates)[i]));
      for (std::size_t j = 0; j < i; ++j) FUZZ_CHECK((*updates)[i] != (*updates)[j]);
    }
  }
  if (const auto build = slipway::api::parse_build_create(body); build.ok()) {
    FUZZ_CHECK(slipway::api::is_source_url(build->source_url));
    FUZZ_CHECK(build->source_url.find_first_of(" \n\r\t") == std::string::npos);
    FUZZ_CHECK(!build->version || !build->version->empty());
    for (const auto& url : build->buildpacks) FUZZ_CHECK(canonical(url));
  }
  if (const auto one = slipway::api::normalize_buildpack(body); one.ok()) {
    FUZZ_CHECK(canonical(*one));
  }
  const auto session = slipway::api::parse_log_session(body);
  if (session.ok()) {
    FUZZ_CHECK(session->lines >= 1 && session->lines <= slipway::api::kMaxLogLines);
  }

  json object = json::object();  // a blank body is an empty object
  if (body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    object = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (object.is_discarded() || !object.is_object()) {
      FUZZ_CHECK(!create.ok() && !update.ok() && !patch.ok() && !session.ok());
      return 0;
    }
  }
  const auto typed = [&](const char* field, bool (*ok)(const json&)) {
    const auto it = object.find(field);
    return it == object.end() || ok(*it);
  };
  constexpr auto is_string_or_null = +[](const json& v) { return v.is_null() || v.is_string(); };
  constexpr auto is_bool_or_null = +[](const json& v) { return v.is_null() || v.is_boolean(); };
  constexpr auto is_lines_or_null = +[](const json& v) { return v.is_null() || lines_ok(v); };
  constexpr auto is_filter_or_null = +[](const json& v) { return v.is_null() || filter_ok(v); };

  FUZZ_CHECK(create.ok() ==
             (typed("name", is_string_or_null) && typed("region", is_string_or_null) &&
              typed("stack", is_string_or_null)));
  if (create.ok()) {
    FUZZ_CHECK(optional_string_ok(object, "name", create->name));
    FUZZ_CHECK(optional_string_ok(object, "region", create->region));
    FUZZ_CHECK(optional_string_ok(object, "stack", create->stack));
  }

  FUZZ_CHECK(update.ok() ==
             (typed("name", is_string_or_null) && typed("maintenance", is_bool_or_null)));
  if (update.ok()) {
    FUZZ_CHECK(optional_string_ok(object, "name", update->name));
    const auto it = object.find("maintenance");
    if (it == object.end() || it->is_null()) {
      FUZZ_CHECK(!update->maintenance);
    } else {
      FUZZ_CHECK(update->maintenance && *update->maintenance == it->get<bool>());
    }
  }

  bool patch_ok = true;
  for (const auto& [key, value] : object.items()) {
    FUZZ_CHECK(slipway::api::validate_config_key(key).ok() == key_ok(key));
    patch_ok = patch_ok && key_ok(key) && is_string_or_null(value);
  }
  FUZZ_CHECK(patch.ok() == patch_ok);
  if (patch.ok()) {
    FUZZ_CHECK(patch->size() == object.size());
    for (const auto& [key, value] : *patch) {
      FUZZ_CHECK(slipway::api::validate_config_key(key).ok());
      const auto it = object.find(key);
      FUZZ_CHECK(it != object.end());
      FUZZ_CHECK(value ? (it->is_string() && it->get<std::string>() == *value) : it->is_null());
    }
  }

  // A log session body: absent or null fields take their defaults, other fields are ignored.
  FUZZ_CHECK(session.ok() ==
             (typed("lines", is_lines_or_null) && typed("tail", is_bool_or_null) &&
              typed("dyno", is_filter_or_null) && typed("source", is_filter_or_null)));
  if (session.ok()) {
    const auto given = [&](const char* field) {
      const auto it = object.find(field);
      return it != object.end() && !it->is_null() ? &*it : nullptr;
    };
    const json* lines = given("lines");
    FUZZ_CHECK(session->lines == (lines ? lines->get<std::int64_t>() : 100));
    const json* tail = given("tail");
    FUZZ_CHECK(session->tail == (tail ? tail->get<bool>() : false));
    const json* dyno = given("dyno");
    FUZZ_CHECK(session->dyno == (dyno ? dyno->get<std::string>() : std::string()));
    const json* source = given("source");
    FUZZ_CHECK(session->source == (source ? source->get<std::string>() : std::string()));
  }
  return 0;
}
