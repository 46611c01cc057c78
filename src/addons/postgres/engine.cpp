#include "addons/postgres/engine.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <system_error>

#include "addons/postgres/move.h"
#include "addons/postgres/names.h"
#include "addons/postgres/stream.h"
#include "common/fs.h"

namespace slipway::addons::postgres {
namespace {

namespace fs = std::filesystem;

// Superuser connections the server keeps back (superuser_reserved_connections' default): a
// dedicated instance gets the plan's connections plus these, for the platform's own sessions.
constexpr int kReservedConnections = 3;

// How long a plan change's cut-over waits for the new database to apply the last writes (the
// app is in maintenance meanwhile; then it gives up and stays on the old one).
constexpr std::chrono::seconds kCatchUpTimeout{60};

// The postgres user passes through DATA_DIR/postgres to its instance directories (0700, its
// own); nobody can list it. Without root everything is ours: owner-only.
Status prepare_dir(const fs::path& dir) {
  const unsigned mode = ::geteuid() == 0 ? 0711 : 0700;
  if (auto s = make_directories(dir, mode); !s) return s;
  if (::chmod(dir.c_str(), mode) != 0) {
    return make_error(ErrorCode::kInternal, "cannot chmod " + dir.string());
  }
  return {};
}

ConnectParams with_db(ConnectParams params, const std::string& database) {
  params.set("dbname", database);
  return params;
}

}  // namespace

std::string DatabaseLocation::url() const {
  ConnectParams params;
  params.set("user", user)
      .set("password", password)
      .set("host", host)
      .set("port", std::to_string(port))
      .set("dbname", database);
  return params.url();
}

Engine::Engine(EngineOptions options, std::optional<RunAs> runner)
    : options_(std::move(options)), runner_(runner) {}

Result<std::unique_ptr<Engine>> Engine::open(EngineOptions options) {
  auto runner = postgres_runner();
  if (!runner) return runner.error();
  const fs::path root = options.data_dir / "postgres";
  for (const auto& dir : {root, root / "dedicated"}) {
    if (auto s = prepare_dir(dir); !s) return s.error();
  }
  std::unique_ptr<Engine> engine(new Engine(options, *runner));
  if (options.shared_server_url) {
    auto params = ConnectParams::parse(*options.shared_server_url);
    if (!params) return params.error();
    params->set("application_name", "slipway");
    engine->external_ = std::move(*params);
  }
  InstanceConfig shared{root / "shared",       options.bin_dir, options.shared_max_connections,
                        options.start_timeout, options.durable, options.tls};
  engine->shared_ = std::make_shared<Instance>(std::move(shared), *runner);
  return engine;
}

bool Engine::shared_cluster_exists() const { return shared_->initialized(); }

std::shared_ptr<Instance> Engine::dedicated(const std::string& id) {
  const std::lock_guard lock(mu_);
  auto& slot = dedicated_[id];
  if (!slot) {
    InstanceConfig config{root() / "dedicated" / id, options_.bin_dir, std::nullopt,
                          options_.start_timeout,    options_.durable, options_.tls};
    slot = std::make_shared<Instance>(std::move(config), runner_);
  }
  return slot;
}

Status Engine::prepare(Instance& instance) {
  const std::string key = instance.dir().string();
  {
    const std::lock_guard lock(mu_);
    if (hardened_[key]) return {};
  }
  auto admin = instance.admin_params("postgres");
  if (!admin) return admin.error();
  if (auto s = harden_server(*admin); !s) return s;
  const std::lock_guard lock(mu_);
  hardened_[key] = true;
  return {};
}

Status Engine::ensure_shared() {
  if (!external_) {
    if (auto s = shared_->ensure_running(); !s) return s;
    return prepare(*shared_);
  }
  {
    const std::lock_guard lock(mu_);
    if (hardened_[std::string(kExternalInstance)]) return {};
  }
  if (auto s = harden_server(*external_); !s) {
    return make_error(s.error().code, "the shared PostgreSQL server: " + s.error().message);
  }
  const std::lock_guard lock(mu_);
  hardened_[std::string(kExternalInstance)] = true;
  return {};
}

Result<ConnectParams> Engine::admin_params(const DatabaseLocation& location, bool start) {
  if (location.instance == kExternalInstance) {
    if (!external_) {
      return make_error(ErrorCode::kNotFound,
                        "the database is on an external server, and none is configured");
    }
    if (start) {
      if (auto s = ensure_shared(); !s) return s.error();
    }
    return *external_;
  }
  if (location.instance == kSharedInstance) {
    if (!shared_->initialized()) {
      return make_error(ErrorCode::kNotFound, "the shared PostgreSQL cluster does not exist");
    }
    if (start) {
      if (auto s = shared_->ensure_running(); !s) return s.error();
      if (auto s = prepare(*shared_); !s) return s.error();
    }
    return shared_->admin_params("postgres");
  }
  if (auto s = check_addon_id(location.instance); !s) return s.error();
  auto instance = dedicated(location.instance);
  if (!instance->initialized()) {
    return make_error(ErrorCode::kNotFound,
                      "PostgreSQL instance " + location.instance + " does not exist");
  }
  if (start) {
    if (auto s = instance->ensure_running(); !s) return s.error();
    if (auto s = prepare(*instance); !s) return s.error();
  }
  return instance->admin_params("postgres");
}

Status Engine::ensure_running(const DatabaseLocation& location) {
  auto admin = admin_params(location, true);
  if (!admin) return admin.error();
  return {};
}

Result<DatabaseLocation> Engine::provision(const std::string& addon_id, const Plan& plan) {
  if (auto s = check_addon_id(addon_id); !s) return s.error();
  return plan.tier == Tier::kShared ? provision_shared(addon_id, plan)
                                    : provision_dedicated(addon_id, plan);
}

Result<DatabaseLocation> Engine::provision_shared(const std::string& addon_id, const Plan& plan) {
  if (auto s = ensure_shared(); !s) return s.error();
  Result<std::string> password = [&] {
    const std::lock_guard lock(mu_);  // one creation of the key file
    return role_password(root() / "credentials.key", addon_id);
  }();
  if (!password) return password.error();
  const Tenant tenant{database_name(addon_id), role_name(addon_id), *password,
                      plan.max_connections};
  DatabaseLocation location;
  if (external_) {
    location.instance = std::string(kExternalInstance);
    location.host = external_->get("host").empty() ? "localhost" : external_->get("host");
    const std::string port = external_->get("port");
    location.port = static_cast<unsigned short>(port.empty() ? 5432 : std::stoi(port));
  } else {
    location.instance = std::string(kSharedInstance);
    location.host = "localhost";
    location.port = shared_->port();
  }
  auto admin = admin_params(location, false);
  if (!admin) return admin.error();
  if (auto s = create_tenant(*admin, tenant); !s) return s.error();
  location.database = tenant.database;
  location.user = tenant.user;
  location.password = tenant.password;
  spdlog::info("postgres: provisioned {} for add-on {} in {}", tenant.database, addon_id,
               location.instance);
  return location;
}

Result<DatabaseLocation> Engine::provision_dedicated(const std::string& addon_id,
                                                     const Plan& plan) {
  std::shared_ptr<Instance> instance;
  {
    const std::lock_guard lock(mu_);
    auto& slot = dedicated_[addon_id];
    // A slot made by a lookup before the instance existed lacks the plan's settings.
    if (!slot || !slot->initialized()) {
      InstanceConfig config{root() / "dedicated" / addon_id,
                            options_.bin_dir,
                            plan.max_connections + kReservedConnections,
                            options_.start_timeout,
                            options_.durable,
                            options_.tls};
      slot = std::make_shared<Instance>(std::move(config), runner_);
    }
    instance = slot;
  }
  if (auto s = instance->ensure_running(); !s) return s.error();
  if (auto s = prepare(*instance); !s) return s.error();
  Result<std::string> password = [&] {
    const std::lock_guard lock(mu_);
    return role_password(root() / "credentials.key", addon_id);
  }();
  if (!password) return password.error();
  const Tenant tenant{database_name(addon_id), role_name(addon_id), *password, -1};
  auto admin = instance->admin_params("postgres");
  if (!admin) return admin.error();
  if (auto s = create_tenant(*admin, tenant); !s) return s.error();
  spdlog::info("postgres: provisioned dedicated instance {} (port {})", addon_id, instance->port());
  return DatabaseLocation{addon_id,        "localhost", instance->port(),
                          tenant.database, tenant.user, tenant.password};
}

Status Engine::deprovision(const DatabaseLocation& location) {
  if (location.instance == kSharedInstance || location.instance == kExternalInstance) {
    if (location.instance == kSharedInstance && !shared_->initialized()) return {};
    auto admin = admin_params(location, true);
    if (!admin) return admin.error();
    if (auto s = drop_tenant(*admin, location.database, location.user); !s) return s;
    spdlog::info("postgres: dropped {} from {}", location.database, location.instance);
    return {};
  }
  if (auto s = check_addon_id(location.instance); !s) return s;
  auto instance = dedicated(location.instance);
  if (auto s = instance->stop(); !s) return s;
  std::error_code ec;
  fs::remove_all(instance->dir(), ec);
  if (ec) return make_error(ErrorCode::kInternal, "cannot remove " + instance->dir().string());
  const std::lock_guard lock(mu_);
  dedicated_.erase(location.instance);
  hardened_.erase(instance->dir().string());
  spdlog::info("postgres: removed dedicated instance {}", location.instance);
  return {};
}

Status Engine::reset(const DatabaseLocation& location, const std::vector<std::string>& extensions) {
  auto admin = admin_params(location, true);
  if (!admin) return admin.error();
  return recreate_database(*admin, location.database, location.user, extensions);
}

Result<DatabaseStats> Engine::stats(const DatabaseLocation& location) {
  auto admin = admin_params(location, true);
  if (!admin) return admin.error();
  return database_stats(*admin, location.database);
}

Result<DatabaseLocation> Engine::stage(const DatabaseLocation& location, const std::string& key) {
  auto admin = admin_params(location, true);
  if (!admin) return admin.error();
  if (auto s = create_staged(*admin, key, location.user); !s) return s.error();
  DatabaseLocation staged = location;
  staged.database = staged_name(key);
  return staged;
}

Result<int> Engine::swap_in(const DatabaseLocation& location, const std::string& key) {
  auto admin = admin_params(location, true);
  if (!admin) return admin.error();
  return swap_in_staged(*admin, location.database, key);
}

Status Engine::drop_work_databases(const DatabaseLocation& location, const std::string& key) {
  auto admin = admin_params(location, true);
  if (!admin) return admin.error();
  return postgres::drop_work_databases(*admin, key);
}

Result<SwapState> Engine::swap_state(const DatabaseLocation& location, const std::string& key) {
  auto admin = admin_params(location, true);
  if (!admin) return admin.error();
  return postgres::swap_state(*admin, key);
}

Result<std::vector<std::string>> Engine::work_database_keys(const DatabaseLocation& location) {
  auto admin = admin_params(location, true);
  if (!admin) return admin.error();
  return postgres::work_database_keys(*admin);
}

Result<std::string> Engine::admin_url(const DatabaseLocation& location) {
  // Whoever asks is about to connect: the server is started (or adopted) if it is not running,
  // e.g. a scheduled backup due the moment the platform starts, before supervision's first tick.
  auto admin = admin_params(location, true);
  if (!admin) return admin.error();
  return with_db(*admin, location.database).url();
}

Status Engine::set_logins(const DatabaseLocation& location, bool allowed) {
  auto admin = admin_params(location, true);
  if (!admin) return admin.error();
  return postgres::set_logins(*admin, location.user, allowed);
}

Result<std::pair<ConnectParams, ConnectParams>> Engine::move_ends(const DatabaseLocation& from,
                                                                  const DatabaseLocation& to) {
  auto source = admin_params(from, true);
  if (!source) return source.error();
  auto target = admin_params(to, true);
  if (!target) return target.error();
  return std::pair{with_db(*source, from.database), with_db(*target, to.database)};
}

Status Engine::copy_and_verify(const DatabaseLocation& from, const DatabaseLocation& to) {
  auto ends = move_ends(from, to);
  if (!ends) return ends.error();
  const auto& [source_db, target_db] = *ends;
  if (auto s = copy_database(options_.bin_dir, root() / "moves", source_db, target_db, to.user);
      !s) {
    return s;
  }
  return verify_copy(source_db, target_db);
}

Result<std::optional<std::string>> Engine::start_move(const DatabaseLocation& from,
                                                      const DatabaseLocation& to,
                                                      const std::string& key) {
  auto ends = move_ends(from, to);
  if (!ends) return ends.error();
  const auto& [source_db, target_db] = *ends;
  auto why_not = why_not_streamable(source_db);
  if (!why_not || *why_not) return why_not;
  const std::string name = stream_name(key);
  // What an interrupted attempt left goes first: a stream, a half-restored schema.
  if (auto s = drop_stream(source_db, target_db, name); !s) return s.error();
  auto target_admin = admin_params(to, false);
  if (!target_admin) return target_admin.error();
  if (auto s = recreate_database(*target_admin, to.database, to.user, {}); !s) return s.error();
  if (auto s =
          start_stream(options_.bin_dir, root() / "moves", source_db, target_db, to.user, name);
      !s) {
    return s.error();
  }
  return std::optional<std::string>();
}

Result<bool> Engine::move_started(const DatabaseLocation& to, const std::string& key) {
  auto target = admin_params(to, true);
  if (!target) return target.error();
  return stream_exists(with_db(*target, to.database), stream_name(key));
}

Result<bool> Engine::move_ready(const DatabaseLocation& to, const std::string& key) {
  auto target = admin_params(to, true);
  if (!target) return target.error();
  return stream_ready(with_db(*target, to.database), stream_name(key));
}

Status Engine::finish_move(const DatabaseLocation& from, const DatabaseLocation& to,
                           const std::string& key) {
  auto started = move_started(to, key);
  if (!started) return started.error();
  if (!*started) return copy_and_verify(from, to);
  auto ends = move_ends(from, to);
  if (!ends) return ends.error();
  const auto& [source_db, target_db] = *ends;
  const auto deadline = std::chrono::steady_clock::now() + kCatchUpTimeout;
  if (auto s = finish_stream(options_.bin_dir, root() / "moves", source_db, target_db,
                             stream_name(key), deadline);
      !s) {
    return s;
  }
  return verify_copy(source_db, target_db);
}

Status Engine::drop_move(const DatabaseLocation& from, const std::optional<DatabaseLocation>& to,
                         const std::string& key) {
  auto source = admin_params(from, true);
  if (!source) return source.error();
  const ConnectParams source_db = with_db(*source, from.database);
  if (to) {
    // A target that no longer exists holds no subscription.
    if (auto target = admin_params(*to, true)) {
      return drop_stream(source_db, with_db(*target, to->database), stream_name(key));
    }
  }
  return drop_stream_source(source_db, stream_name(key));
}

Status Engine::supervise() {
  std::vector<std::shared_ptr<Instance>> instances;
  if (!external_) instances.push_back(shared_);
  {
    const std::lock_guard lock(mu_);
    for (const auto& [id, instance] : dedicated_) instances.push_back(instance);
  }
  Status first;
  for (const auto& instance : instances) {
    if (auto s = instance->supervise(); !s) {
      spdlog::error("postgres: {}: {}", instance->dir().string(), s.error().message);
      if (first.ok()) first = s;
    }
  }
  return first;
}

Status Engine::stop_all() {
  std::vector<std::shared_ptr<Instance>> instances{shared_};
  {
    const std::lock_guard lock(mu_);
    for (const auto& [id, instance] : dedicated_) instances.push_back(instance);
  }
  Status first;
  for (const auto& instance : instances) {
    if (auto s = instance->stop(); !s && first.ok()) first = s;
  }
  return first;
}

}  // namespace slipway::addons::postgres
