#include "daemon/instructions.h"

namespace slipway::daemon {

std::string connection_instructions(const ConnectionInfo& info) {
  const std::string key =
      info.new_token ? *info.new_token : "$(cat " + info.token_file.string() + ")";
  std::string out;
  out += "Slipway is running.\n";
  out += "  API (HTTPS): " + info.api_url + "\n";
  out += "  Apps:        " + info.apps_url_example + "\n";
  if (info.new_token) {
    out += "\nThis is the first start: an admin API token was created. It is shown only now and\n";
    out += "kept (mode 0600) in " + info.token_file.string() + ".\n";
  }
  out += "\nPoint the heroku CLI and git at Slipway (paste into your shell):\n\n";
  out += "export HEROKU_HOST=" + info.api_url + "\n";
  out += "export HEROKU_API_KEY=" + key + "\n";
  out += "export HEROKU_DATA_HOST=" + info.data_host + "\n";
  out += "export HEROKU_PARTICLEBOARD_URL=" + info.api_url + "\n";
  out += "export DISABLE_TELEMETRY=true\n";
  out += "export HEROKU_SKIP_NEW_VERSION_CHECK=true\n";
  out += "export NODE_EXTRA_CA_CERTS=" + info.ca_file.string() + "\n";
  out += "export GIT_SSL_CAINFO=" + info.ca_file.string() + "\n";
  out +=
      "\n# GIT_SSL_CAINFO makes git trust only Slipway's CA in this shell. To keep other https\n";
  out += "# remotes working, trust it for Slipway's address alone instead:\n";
  out += "#   git config --global http." + info.api_url + "/.sslCAInfo " + info.ca_file.string() +
         "\n\n";
  return out;
}

}  // namespace slipway::daemon
