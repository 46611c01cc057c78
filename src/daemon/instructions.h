// The text `slipway server` prints so a user can point the heroku CLI and git at it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace slipway::daemon {

struct ConnectionInfo {
  std::string api_url;               // https://localhost:5000
  std::string data_host;             // localhost
  std::filesystem::path ca_file;     // absolute
  std::filesystem::path token_file;  // absolute
  std::optional<std::string> new_token;
  std::string apps_url_example;  // http://<app>.localhost:8080/
};

std::string connection_instructions(const ConnectionInfo& info);

}  // namespace slipway::daemon
