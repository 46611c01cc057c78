#include "runtime/state_files.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/fs.h"

namespace slipway::runtime {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json to_json(const DesiredApp& a) {
  json formation = json::object();
  for (const auto& [type, f] : a.formation) {
    formation[type] = {{"quantity", f.quantity}, {"size", f.size}};
  }
  return {{"app_id", a.app_id},
          {"app_name", a.app_name},
          {"release_id", a.release_id},
          {"release_version", a.release_version},
          {"slug_sha256", a.slug_sha256 ? json(*a.slug_sha256) : json(nullptr)},
          {"process_types", a.process_types},
          {"config", a.config},
          {"formation", formation},
          {"maintenance", a.maintenance},
          {"restart_all", a.restart_all},
          {"restart_type", a.restart_type},
          {"restart_dyno", a.restart_dyno},
          {"unix_uid", a.identity ? json(a.identity->uid) : json(nullptr)},
          {"unix_gid", a.identity ? json(a.identity->gid) : json(nullptr)}};
}

DesiredApp desired_from_json(const json& j) {
  DesiredApp a;
  a.app_id = j.at("app_id").get<std::string>();
  a.app_name = j.at("app_name").get<std::string>();
  a.release_id = j.value("release_id", "");
  a.release_version = j.value("release_version", std::int64_t{0});
  if (j.contains("slug_sha256") && j["slug_sha256"].is_string()) {
    a.slug_sha256 = j["slug_sha256"].get<std::string>();
  }
  if (!j.value("unix_uid", json()).is_null() || !j.value("unix_gid", json()).is_null()) {
    a.identity = UnixIdentity{j.at("unix_uid").get<std::int64_t>(),
                              j.at("unix_gid").get<std::int64_t>()};  // or throws: file skipped
  }
  a.process_types = j.value("process_types", std::map<std::string, std::string>{});
  a.config = j.value("config", std::map<std::string, std::string>{});
  const json formation =
      j.value("formation", json::object());  // named: items() of a temporary dangles
  for (const auto& [type, f] : formation.items()) {
    a.formation[type] = ProcessFormation{f.value("quantity", std::int64_t{0}),
                                         f.value("size", std::string("Basic"))};
  }
  a.maintenance = j.value("maintenance", false);
  a.restart_all = j.value("restart_all", std::int64_t{0});
  a.restart_type = j.value("restart_type", std::map<std::string, std::int64_t>{});
  a.restart_dyno = j.value("restart_dyno", std::map<std::string, std::int64_t>{});
  return a;
}

// Every state file is owner-only, and so is its directory: desired state carries config vars
// (secrets), and nothing here is any app's business. (The router reads routes.json as root.)
Status write_json(const fs::path& file, const json& value) {
  if (auto s = make_directories(file.parent_path(), 0700); !s) return s;
  return write_file_atomic(file, value.dump(), 0600);
}

std::optional<json> read_json(const fs::path& file) {
  auto text = read_file(file);
  if (!text) return std::nullopt;
  json parsed = json::parse(*text, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

}  // namespace

Paths::Paths(fs::path dir) : data_dir(std::move(dir)) {}

Status write_desired(const Paths& paths, const DesiredApp& app) {
  return write_json(paths.desired_dir() / (app.app_id + ".json"), to_json(app));
}

Status remove_desired(const Paths& paths, const std::string& app_id) {
  std::error_code ec;
  fs::remove(paths.desired_dir() / (app_id + ".json"), ec);
  return {};
}

std::vector<DesiredApp> read_all_desired(const Paths& paths) {
  std::vector<DesiredApp> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(paths.desired_dir(), ec)) {
    if (entry.path().extension() != ".json") continue;
    auto j = read_json(entry.path());
    if (!j) continue;
    try {
      out.push_back(desired_from_json(*j));
    } catch (const json::exception& e) {
      spdlog::warn("skipping unreadable desired state {}: {}", entry.path().string(), e.what());
    }
  }
  return out;
}

Status write_status(const Paths& paths, const std::string& app_id,
                    const std::vector<DynoStatus>& dynos) {
  json list = json::array();
  for (const auto& d : dynos) {
    list.push_back({{"name", d.name},
                    {"type", d.type},
                    {"command", d.command},
                    {"state", d.state},
                    {"size", d.size},
                    {"release_version", d.release_version},
                    {"release_id", d.release_id},
                    {"updated_at", d.updated_at},
                    {"port", d.port}});
  }
  return write_json(paths.status_dir() / (app_id + ".json"), list);
}

std::vector<DynoStatus> read_status(const Paths& paths, const std::string& app_id) {
  std::vector<DynoStatus> out;
  auto j = read_json(paths.status_dir() / (app_id + ".json"));
  if (!j || !j->is_array()) return out;
  for (const auto& d : *j) {
    out.push_back(DynoStatus{d.value("name", ""), d.value("type", ""), d.value("command", ""),
                             d.value("state", ""), d.value("size", ""),
                             d.value("release_version", std::int64_t{0}), d.value("release_id", ""),
                             d.value("updated_at", ""), d.value("port", 0)});
  }
  return out;
}

Status write_routes(const Paths& paths, const std::map<std::string, AppRoute>& routes) {
  json apps = json::object();
  for (const auto& [name, route] : routes) {
    json backends = json::array();
    for (const auto& [dyno, port] : route.backends)
      backends.push_back({{"dyno", dyno}, {"port", port}});
    apps[name] = {
        {"app_id", route.app_id}, {"maintenance", route.maintenance}, {"backends", backends}};
  }
  return write_json(paths.routes_file(), json{{"apps", apps}});
}

std::optional<std::map<std::string, AppRoute>> parse_routes(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("apps") || !j["apps"].is_object()) {
    return std::nullopt;
  }
  std::map<std::string, AppRoute> out;
  try {
    for (const auto& [name, route] : j["apps"].items()) {
      AppRoute r;
      r.app_id = route.value("app_id", "");
      r.maintenance = route.value("maintenance", false);
      for (const auto& b : route.value("backends", json::array())) {
        r.backends.emplace_back(b.value("dyno", ""), b.value("port", 0));
      }
      out.emplace(name, std::move(r));
    }
  } catch (const json::exception&) {
    return std::nullopt;  // a field of the wrong type: not a file the runtime wrote
  }
  return out;
}

}  // namespace slipway::runtime
