#include "api/transfer_views.h"

#include <cstdio>

#include "api/json_fields.h"

namespace slipway::api {

using nlohmann::json;

bool is_backup(const store::Transfer& t) {
  return t.from_type == "pg_dump" && t.to_type == "gof3r";
}

std::string transfer_name(const store::Transfer& t) {
  char prefix = 'r';
  if (is_backup(t)) {
    prefix = t.schedule ? 'a' : 'b';
  } else if (t.from_type == "pg_dump" && t.to_type == "pg_restore") {
    prefix = 'c';
  }
  char out[32];
  std::snprintf(out, sizeof out, "%c%03lld", prefix, static_cast<long long>(t.num));
  return out;
}

namespace {

json optional_json(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

std::int64_t num_keep(const store::Transfer& t) {
  const json job = json::parse(t.job_json, nullptr, /*allow_exceptions=*/false);
  if (job.is_object() && job.contains("num_keep") && job["num_keep"].is_number_integer()) {
    return job["num_keep"].get<std::int64_t>();
  }
  return 0;
}

}  // namespace

json transfer_json(const store::Transfer& t, const std::string& api_url) {
  json logs = json::array();
  for (const auto& l : t.logs) {
    logs.push_back({{"created_at", l.created_at}, {"level", l.level}, {"message", l.message}});
  }
  json options = json::parse(t.options_json, nullptr, /*allow_exceptions=*/false);
  if (!options.is_object()) options = json::object();
  return {{"uuid", t.id},
          {"num", t.num},
          {"name", transfer_name(t)},
          {"app", {{"id", t.app_id}, {"name", t.app_name}}},
          {"from_name", t.from_name},
          {"from_type", t.from_type},
          {"from_url", t.from_url},
          {"to_name", t.to_name},
          {"to_type", t.to_type},
          {"to_url", is_backup(t) ? api_url + "/backups/" + t.id + ".dump" : t.to_url},
          {"options", options},
          {"created_at", t.created_at},
          {"updated_at", t.updated_at},
          {"started_at", optional_json(t.started_at)},
          {"finished_at", optional_json(t.finished_at)},
          {"canceled_at", optional_json(t.canceled_at)},
          {"deleted_at", optional_json(t.deleted_at)},
          {"purged_at", nullptr},
          {"succeeded", t.succeeded ? json(*t.succeeded) : json(nullptr)},
          {"processed_bytes", t.processed_bytes},
          {"source_bytes", t.source_bytes},
          {"warnings", t.warnings},
          {"num_keep", num_keep(t)},
          {"schedule", t.schedule ? json{{"name", *t.schedule}} : json(nullptr)},
          {"verification", optional_json(t.verification)},
          {"logs", logs}};
}

std::string redact_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "";
  const std::string_view scheme = url.substr(0, scheme_end);
  std::string_view rest = url.substr(scheme_end + 3);
  const bool postgres = scheme == "postgres" || scheme == "postgresql";
  if (!postgres) rest = rest.substr(0, rest.find_first_of("?#"));
  const auto path_at = rest.find('/');
  std::string_view authority = rest.substr(0, path_at);
  const std::string_view path = path_at == std::string_view::npos ? "" : rest.substr(path_at);
  std::string user;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    user = std::string(authority.substr(0, authority.substr(0, at).find(':')));
    authority = authority.substr(at + 1);
  }
  std::string out = std::string(scheme) + "://";
  if (postgres && !user.empty()) out += user + "@";
  out += authority;
  out += postgres ? std::string(path.substr(0, path.find_first_of("?#"))) : std::string(path);
  return out;
}

std::string attachment_name_for(const store::Addon& addon) {
  std::string first;
  for (const auto& var : addon.config_vars) {
    if (!var.ends_with("_URL")) continue;
    std::string name = var.substr(0, var.size() - 4);
    if (name == "DATABASE") return name;
    if (first.empty()) first = name;
  }
  return first.empty() ? "DATABASE" : first;
}

namespace {

constexpr std::size_t kMaxUrl = 4096;

Result<std::string> required_url(const json& body, const char* field,
                                 std::initializer_list<std::string_view> schemes,
                                 std::string_view expected) {
  auto value = optional_string(body, field);
  if (!value) return value.error();
  if (!*value || (*value)->empty() || (*value)->size() > kMaxUrl) {
    return wrong_type(field, expected);
  }
  for (const auto scheme : schemes) {
    if ((*value)->starts_with(scheme) && (*value)->size() > scheme.size()) return **value;
  }
  return wrong_type(field, expected);
}

Result<std::string> name_field(const json& body, const char* field) {
  auto value = optional_string(body, field);
  if (!value) return value.error();
  if (!*value) return std::string();
  if ((*value)->size() > 200) return wrong_type(field, "a name of at most 200 characters");
  return **value;
}

}  // namespace

Result<RestoreBody> parse_restore_body(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  auto url = required_url(*object, "backup_url", {"https://", "http://"}, "an http(s) URL");
  if (!url) return url.error();
  // Extensions are created by the archive itself on Slipway; the list is accepted and checked.
  if (const auto it = object->find("extensions"); it != object->end() && !it->is_null()) {
    if (!it->is_array() || it->size() > 64) return wrong_type("extensions", "a list of names");
    for (const auto& e : *it) {
      if (!e.is_string()) return wrong_type("extensions", "a list of names");
    }
  }
  return RestoreBody{*url};
}

Result<CopyBody> parse_copy_body(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  constexpr std::string_view kExpected = "a postgres:// URL";
  auto from_url = required_url(*object, "from_url", {"postgres://", "postgresql://"}, kExpected);
  if (!from_url) return from_url.error();
  auto to_url = required_url(*object, "to_url", {"postgres://", "postgresql://"}, kExpected);
  if (!to_url) return to_url.error();
  auto from_name = name_field(*object, "from_name");
  if (!from_name) return from_name.error();
  auto to_name = name_field(*object, "to_name");
  if (!to_name) return to_name.error();
  return CopyBody{*from_name, *from_url, *to_name, *to_url};
}

}  // namespace slipway::api
