// The `slipway` command line.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include <iostream>

#include "build/child_process.h"
#include "build/git_hook.h"
#include "daemon/server.h"
#include "router/router_main.h"
#include "runtime/agent.h"

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
  int stop_grace_seconds = 30;
  server
      ->add_option("--stop-grace", stop_grace_seconds,
                   "Seconds a dyno gets between SIGTERM and SIGKILL when stopped")
      ->envname("SLIPWAY_STOP_GRACE")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();

  server
      ->add_option("--max-push-size", options.max_push_bytes,
                   "Largest git push accepted, in bytes or with a unit (500MB, 1GB)")
      ->envname("SLIPWAY_MAX_PUSH_SIZE")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("500MB");

  server
      ->add_option("--postgres-bin-dir", options.postgres_bin_dir,
                   "Where PostgreSQL 15's programs are (initdb, postgres, pg_dump)")
      ->envname("SLIPWAY_POSTGRES_BIN_DIR")
      ->capture_default_str();
  server
      ->add_option("--postgres-admin-url", options.postgres_admin_url,
                   "An existing PostgreSQL server for the shared-tier (essential) plans, as "
                   "postgres://ADMIN:PASSWORD@HOST:PORT/postgres; default: Slipway runs its own")
      ->envname("SLIPWAY_POSTGRES_ADMIN_URL");
  server
      ->add_option("--transfer-disk-reserve", options.transfer_disk_reserve,
                   "Disk space kept free: a backup, restore or copy that would leave less free "
                   "on the data dir's disk is stopped and fails")
      ->envname("SLIPWAY_TRANSFER_DISK_RESERVE")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("1GB");
  server
      ->add_option("--restore-split-table-size", options.restore_split_table_size,
                   "A restore loads each table with at least this much archived data over every "
                   "core at once, instead of over one connection; 0: never")
      ->envname("SLIPWAY_RESTORE_SPLIT_TABLE_SIZE")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("16MB");

  slipway::runtime::AgentOptions agent_options;
  auto* agent = app.add_subcommand(
      "agent", "Run the runtime agent (started by `slipway server`; not usually run by hand).");
  agent->add_option("--data-dir", agent_options.data_dir, "The server's data dir")
      ->envname("SLIPWAY_DATA_DIR")
      ->required();
  int boot_timeout_seconds = 60;
  agent
      ->add_option("--boot-timeout", boot_timeout_seconds,
                   "Seconds a web dyno has to bind $PORT (then R10)")
      ->envname("SLIPWAY_BOOT_TIMEOUT")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  agent->add_option("--stop-grace", stop_grace_seconds, "Seconds between SIGTERM and SIGKILL")
      ->envname("SLIPWAY_STOP_GRACE")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();

  slipway::router::RouterOptions router_options;
  auto* router = app.add_subcommand(
      "router", "Run the router (started by `slipway server`; not usually run by hand).");
  router->add_option("--data-dir", router_options.data_dir, "The server's data dir")
      ->envname("SLIPWAY_DATA_DIR")
      ->required();
  router->add_option("--listen", router_options.listen, "HOST:PORT to serve apps on")
      ->envname("SLIPWAY_ROUTER_LISTEN")
      ->capture_default_str();
  router->add_option("--domain", router_options.domain, "Apps are served at <app>.<domain>")
      ->envname("SLIPWAY_DOMAIN")
      ->capture_default_str();
  router
      ->add_option("--request-timeout", router_options.request_timeout_seconds,
                   "Seconds a dyno has to start answering (then H12)")
      ->envname("SLIPWAY_ROUTER_TIMEOUT")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();

  std::vector<std::string> hook_args;
  auto* git_hook = app.add_subcommand(
      "git-hook",
      "Run a git hook of an app repository (installed by `slipway server`; run by git).");
  git_hook->add_option("hook", hook_args, "The hook: pre-receive")->required();

  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->envname("SLIPWAY_LOG_LEVEL")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  // The hook's stdout and stderr go to the pusher through git: no log lines there.
  if (git_hook->parsed()) {
    return slipway::build::run_git_hook(hook_args, slipway::build::current_environment(), std::cin,
                                        std::cout);
  }

  // Logs go to stderr; stdout carries only what a user is meant to read (or copy).
  spdlog::set_default_logger(spdlog::stderr_color_mt("slipway"));
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%f%z slipway[%l]: %v");
  options.stop_grace = std::chrono::seconds(stop_grace_seconds);
  agent_options.supervisor.stop_grace = std::chrono::seconds(stop_grace_seconds);
  agent_options.supervisor.boot_timeout = std::chrono::seconds(boot_timeout_seconds);
  if (server->parsed()) return slipway::daemon::run_server(options);
  if (agent->parsed()) return slipway::runtime::run_agent(agent_options);
  if (router->parsed()) return slipway::router::run_router(router_options);
  return 0;
}
