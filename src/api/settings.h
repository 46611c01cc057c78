// What the API needs to know about how the platform is reached from outside.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace slipway::api {

struct ApiSettings {
  std::string api_url = "https://localhost:5000";  // the HEROKU_HOST users point at
  std::string git_host = "localhost:5000";         // host:port of git remotes (same as the API)
  std::string apps_domain = "localhost";           // apps live at <app>.<apps_domain>
  int router_port = 8080;
  std::filesystem::path data_dir;  // where app logs live (log sessions, app[api] lines)
  // The largest git push accepted (Heroku's slug limit): larger ones are refused.
  std::uint64_t max_push_bytes = std::uint64_t{500} * 1024 * 1024;
};

}  // namespace slipway::api
