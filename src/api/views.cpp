#include "api/views.h"

#include "common/crypto.h"

namespace slipway::api {

std::string fixed_id(std::string_view kind, std::string_view name) {
  const std::string h = sha256_hex(std::string(kind) + ":" + std::string(name));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-4" + h.substr(13, 3) + "-8" + h.substr(17, 3) +
         "-" + h.substr(20, 12);
}

namespace {

using nlohmann::json;

json named(std::string_view kind, const std::string& name) {
  return {{"id", fixed_id(kind, name)}, {"name", name}};
}

std::string web_url(const store::App& app, const ApiSettings& s) {
  std::string url = "http://" + app.name + "." + s.apps_domain;
  if (s.router_port != 80) url += ":" + std::to_string(s.router_port);
  return url + "/";
}

json nullable(const std::optional<std::string>& value) {
  return value ? json(*value) : json(nullptr);
}

}  // namespace

json account_json(const store::Account& a) {
  return {{"id", a.id},
          {"email", a.email},
          {"name", a.name},
          {"verified", true},
          {"two_factor_authentication", false},
          {"allow_tracking", false},
          {"beta", false},
          {"federated", false},
          {"created_at", a.created_at},
          {"updated_at", a.updated_at},
          {"last_login", a.updated_at},
          {"suspended_at", nullptr},
          {"delinquent_at", nullptr},
          {"default_team", nullptr},
          {"default_organization", nullptr},
          {"identity_provider", nullptr},
          {"sms_number", nullptr}};
}

json app_json(const store::App& app, const ApiSettings& s) {
  return {{"id", app.id},
          {"name", app.name},
          {"acm", false},
          {"archived_at", nullptr},
          {"buildpack_provided_description", nullptr},
          {"build_stack", named("stack", app.build_stack)},
          {"stack", named("stack", app.stack)},
          {"created_at", app.created_at},
          {"updated_at", app.updated_at},
          {"released_at", nullable(app.released_at)},
          {"git_url", "https://" + s.git_host + "/" + app.name + ".git"},
          {"web_url", web_url(app, s)},
          {"internal_routing", nullptr},
          {"maintenance", app.maintenance},
          {"owner", {{"id", app.owner_id}, {"email", app.owner_email}}},
          {"organization", nullptr},
          {"team", nullptr},
          {"region", named("region", app.region)},
          {"space", nullptr},
          {"repo_size", nullptr},
          {"slug_size", nullptr},
          {"generation", named("generation", "cedar")},
          {"create_status", "complete"},
          {"process_tier", "production"},
          {"locked", false}};
}

std::string release_output_url(const std::string& api_url, const std::string& release_id,
                               const std::string& secret) {
  return api_url + "/release-output/" + release_id + "/" + secret;
}

std::string build_output_url(const std::string& api_url, const std::string& build_id,
                             const std::string& secret) {
  return api_url + "/build-output/" + build_id + "/" + secret;
}

json release_json(const store::Release& r, const store::App& app, const std::string& api_url) {
  return {
      {"id", r.id},
      {"version", r.version},
      {"description", r.description},
      {"status", r.status},
      {"current", r.current},
      {"created_at", r.created_at},
      {"updated_at", r.updated_at},
      {"user", {{"id", r.user_id}, {"email", r.user_email}}},
      {"app", {{"id", app.id}, {"name", app.name}}},
      {"slug", r.slug_id ? json{{"id", *r.slug_id}} : json(nullptr)},
      {"addon_plan_names", json::array()},
      {"output_stream_url",
       r.output_secret ? json(release_output_url(api_url, r.id, *r.output_secret)) : json(nullptr)},
      {"eligible_for_rollback", r.status == "succeeded"},
      {"oci_image", nullptr}};
}

json buildpack_installation_json(const std::string& url, std::size_t ordinal) {
  return {{"ordinal", ordinal}, {"buildpack", {{"url", url}, {"name", url}}}};
}

json build_json(const store::Build& b, const std::string& api_url) {
  json buildpacks = json::array();
  for (const auto& url : b.buildpacks) buildpacks.push_back({{"url", url}, {"name", url}});
  return {{"id", b.id},
          {"app", {{"id", b.app_id}}},
          {"status", b.status},
          {"output_stream_url", build_output_url(api_url, b.id, b.output_secret)},
          {"source_blob",
           {{"url", b.source_url},
            {"version", nullable(b.source_version)},
            {"version_description", nullptr},
            {"checksum", nullable(b.source_checksum)}}},
          {"release", b.release_id ? json{{"id", *b.release_id}} : json(nullptr)},
          {"slug", b.slug_id ? json{{"id", *b.slug_id}} : json(nullptr)},
          {"stack", "heroku-24"},
          {"buildpacks", buildpacks},
          {"user", {{"id", b.user_id}, {"email", b.user_email}}},
          {"created_at", b.created_at},
          {"updated_at", b.updated_at}};
}

json owner_collaborator_json(const store::App& app) {
  return {{"id", fixed_id("collaborator", app.id + ":" + app.owner_id)},
          {"app", {{"id", app.id}, {"name", app.name}}},
          {"user", {{"id", app.owner_id}, {"email", app.owner_email}, {"federated", false}}},
          {"role", "owner"},
          {"permissions", json::array()},
          {"created_at", app.created_at},
          {"updated_at", app.updated_at}};
}

json slug_json(const store::Slug& s, const std::optional<std::string>& upload_url) {
  json blob = upload_url ? json{{"method", "put"}, {"url", *upload_url}}
                         : json{{"method", "get"}, {"url", nullptr}};
  return {{"id", s.id},
          {"blob", blob},
          {"buildpack_provided_description", nullable(s.buildpack_provided_description)},
          {"checksum", s.blob_sha256 ? json("SHA256:" + *s.blob_sha256) : json(nullptr)},
          {"commit", nullable(s.commit)},
          {"commit_description", nullable(s.commit_description)},
          {"process_types", s.process_types},
          {"size", s.size ? json(*s.size) : json(nullptr)},
          {"stack", named("stack", s.stack)},
          {"created_at", s.created_at},
          {"updated_at", s.updated_at}};
}

}  // namespace slipway::api
