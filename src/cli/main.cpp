// The `slipway` command line.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "daemon/server.h"

int main(int argc, char** argv) {
  CLI::App app{"Slipway: run web apps the Heroku way on machines you own."};
  app.require_subcommand(1);

  slipway::daemon::ServerOptions options;
  auto* server = app.add_subcommand("server", "Run the platform (control plane and API).");
  server->add_option("--data-dir", options.data_dir, "State, certificates and tokens")
      ->envname("SLIPWAY_DATA_DIR")
      ->capture_default_str();
  server
      ->add_option("--api-listen", options.api_listen,
                   "HOST:PORT for the HTTPS API (port 0: any free port)")
      ->envname("SLIPWAY_API_LISTEN")
      ->capture_default_str();
  server->add_option("--router-listen", options.router_listen, "HOST:PORT for the app router")
      ->envname("SLIPWAY_ROUTER_LISTEN")
      ->capture_default_str();
  server->add_option("--domain", options.domain, "Apps are served at <app>.<domain>")
      ->envname("SLIPWAY_DOMAIN")
      ->capture_default_str();
  server->add_option("--admin-email", options.admin_email, "Email of the admin account")
      ->envname("SLIPWAY_ADMIN_EMAIL")
      ->capture_default_str();
  std::string log_level = "info";
  server->add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->envname("SLIPWAY_LOG_LEVEL")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  // Logs go to stderr; stdout carries only what a user is meant to read (or copy).
  spdlog::set_default_logger(spdlog::stderr_color_mt("slipway"));
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%f%z slipway[%l]: %v");
  if (server->parsed()) return slipway::daemon::run_server(options);
  return 0;
}
