#include "runtime/supervisor.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "build/slug_archive.h"
#include "common/time.h"
#include "logs/app_log.h"
#include "runtime/dyno_process.h"
#include "runtime/isolation.h"

namespace slipway::runtime {

namespace fs = std::filesystem;

struct Supervisor::Dyno {
  std::string app_id;
  std::string app_name;
  std::string name;  // web.1
  std::string type;
  std::string command;
  std::string size;
  std::string release_id;
  std::int64_t release_version = 0;
  std::string generation;  // what it was started for; a change means restart
  pid_t pid = -1;
  int output_fd = -1;
  std::string partial_line;
  int port = 0;
  std::string state = "starting";
  std::string state_since = now_iso8601();
  Clock::time_point started_at{};
  Clock::time_point stop_sent_at{};
  bool kill_sent = false;
  int crashes = 0;
  Clock::time_point restart_at{};
  bool handed_over = false;  // outgoing: out of the routing table, SIGTERM at sigterm_at
  Clock::time_point sigterm_at{};

  std::string key() const { return app_id + "/" + name; }
};

namespace {

constexpr std::size_t kMaxLineBytes = 10000;

// How long an outgoing web dyno lives on after leaving the routing table: the router re-reads
// routes.json within ~100 ms, and requests it had already sent there get to finish.
constexpr auto kRouterCatchUp = std::chrono::seconds(1);

std::string generation_of(const DesiredApp& app, const std::string& type, const std::string& name) {
  auto counter = [](const std::map<std::string, std::int64_t>& m, const std::string& key) {
    const auto it = m.find(key);
    return it == m.end() ? std::int64_t{0} : it->second;
  };
  return app.release_id + "/" + std::to_string(app.restart_all) + "/" +
         std::to_string(counter(app.restart_type, type)) + "/" +
         std::to_string(counter(app.restart_dyno, name));
}

// Heroku's cool-off: the first crash restarts at once, later ones wait longer each time.
std::chrono::seconds cool_off(int crashes) {
  if (crashes <= 1) return std::chrono::seconds(0);
  return std::chrono::seconds(std::min(320, 10 << std::min(crashes - 2, 5)));
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "Process exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "Process exited with status " + std::to_string(128 + WTERMSIG(status));
  }
  return "Process exited";
}

}  // namespace

Supervisor::Supervisor(Paths paths, SupervisorOptions options)
    : paths_(std::move(paths)), options_(options) {}

Supervisor::~Supervisor() {
  for (auto& [key, d] : active_) {
    if (d->output_fd >= 0) ::close(d->output_fd);
  }
  for (auto* dynos : {&outgoing_, &stopping_}) {
    for (auto& d : *dynos) {
      if (d->output_fd >= 0) ::close(d->output_fd);
    }
  }
}

void Supervisor::log(const Dyno& dyno, const std::string& text) const {
  logs::append_line(paths_.data_dir, dyno.app_id, "heroku", dyno.name, text);
}

void Supervisor::run(const std::atomic<bool>& stop) {
  auto next_reconcile = Clock::now();
  while (!stop.load()) {
    if (Clock::now() >= next_reconcile) {
      reconcile(read_all_desired(paths_));
      next_reconcile = Clock::now() + std::chrono::milliseconds(200);
    }
    poll_output(100);
    reap();
    check_boot_and_stops();
    hand_over();
    publish();
  }
  // Shutting down on purpose: every dyno gets SIGTERM, then SIGKILL after the grace period.
  for (auto& [key, d] : active_) retire(std::move(d), "Stopping all processes with SIGTERM");
  active_.clear();
  for (auto& d : outgoing_) retire(std::move(d), "Stopping all processes with SIGTERM");
  outgoing_.clear();
  while (!stopping_.empty()) {
    poll_output(100);
    reap();
    check_boot_and_stops();
  }
  publish();
}

void Supervisor::reconcile(const std::vector<DesiredApp>& desired) {
  std::map<std::string, DesiredApp> next;
  for (const auto& app : desired) next.emplace(app.app_id, app);
  desired_ = std::move(next);
  for (const auto& [id, app] : desired_) reconcile_app(app);
  // Dynos of apps that no longer exist stop.
  for (auto it = active_.begin(); it != active_.end();) {
    if (desired_.count(it->second->app_id) == 0) {
      retire(std::move(it->second), "Stopping all processes with SIGTERM");
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
}

bool Supervisor::ensure_unpacked(const DesiredApp& app, fs::path& app_dir) {
  const fs::path release_dir = paths_.releases_dir() / app.app_id / app.release_id;
  app_dir = release_dir / "app";
  std::error_code ec;
  if (fs::exists(app_dir, ec)) return true;
  if (unpack_failed_.count(app.release_id) != 0) return false;  // said once, not every tick
  fs::create_directories(release_dir.parent_path(), ec);
  auto unpacked = unpack_release(paths_, app, release_dir);  // then owned by the app's user
  if (!unpacked) {
    unpack_failed_.insert(app.release_id);
    logs::append_line(paths_.data_dir, app.app_id, "heroku", "api",
                      "Release v" + std::to_string(app.release_version) +
                          " cannot run: " + unpacked.error().message);
    return false;
  }
  return true;
}

void Supervisor::reconcile_app(const DesiredApp& app) {
  std::map<std::string, std::string> wanted;  // dyno name -> type
  if (app.slug_sha256) {
    for (const auto& [type, f] : app.formation) {
      if (app.process_types.count(type) == 0) continue;  // remembered until a release brings it
      for (std::int64_t i = 1; i <= f.quantity; ++i) {
        wanted.emplace(type + "." + std::to_string(i), type);
      }
    }
  }
  const std::string prefix = app.app_id + "/";
  for (auto it = active_.lower_bound(prefix);
       it != active_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
    const auto& d = *it->second;
    const auto want = wanted.find(d.name);
    if (want == wanted.end()) {
      retire(std::move(it->second), "Stopping all processes with SIGTERM");
      it = active_.erase(it);
    } else if (d.generation != generation_of(app, d.type, d.name)) {
      replace(std::move(it->second));  // its replacement starts below
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
  if (wanted.empty()) return;
  fs::path app_dir;
  bool unpacked = false;
  for (const auto& [name, type] : wanted) {
    const std::string key = prefix + name;
    auto existing = active_.find(key);
    if (existing != active_.end()) {
      Dyno& d = *existing->second;
      if (d.pid < 0 && d.state == "crashed" && Clock::now() >= d.restart_at) {
        if (!unpacked && !(unpacked = ensure_unpacked(app, app_dir))) return;
        start(d, app, app_dir);
      }
      continue;
    }
    if (!unpacked && !(unpacked = ensure_unpacked(app, app_dir))) return;
    auto d = std::make_unique<Dyno>();
    d->app_id = app.app_id;
    d->app_name = app.app_name;
    d->name = name;
    d->type = type;
    d->size = app.formation.at(type).size;
    start(*d, app, app_dir);
    active_.emplace(key, std::move(d));
  }
}

void Supervisor::start(Dyno& d, const DesiredApp& app, const fs::path& app_dir) {
  d.command = app.process_types.at(d.type);
  d.release_id = app.release_id;
  d.release_version = app.release_version;
  d.generation = generation_of(app, d.type, d.name);
  d.port = d.type == "web" ? pick_free_port() : 0;
  std::map<std::string, std::string> env = app.config;
  env["DYNO"] = d.name;
  env["PS"] = d.name;
  env["HOME"] = app_dir.string();
  env["PATH"] = app_dir.string() + "/bin:/usr/local/bin:/usr/bin:/bin";
  env["LANG"] = "C.UTF-8";
  if (d.port != 0) env["PORT"] = std::to_string(d.port);
  log(d, "Starting process with command `" + d.command + "`");
  auto spawned = spawn_dyno(d.command, env, app_dir, app.identity);
  d.started_at = Clock::now();
  d.kill_sent = false;
  if (!spawned) {
    log(d, "Failed to start: " + spawned.error().message);
    d.state = "crashed";
    d.state_since = now_iso8601();
    d.restart_at = Clock::now() + cool_off(++d.crashes);
    return;
  }
  d.pid = spawned->pid;
  d.output_fd = spawned->output_fd;
  d.state = "starting";
  d.state_since = now_iso8601();
  if (d.type != "web") {  // only web dynos must bind a port before they count as up
    log(d, "State changed from starting to up");
    d.state = "up";
  }
}

void Supervisor::retire(std::unique_ptr<Dyno> d, const std::string& reason) {
  if (d->pid < 0) return;  // crashed and not running: nothing to stop
  log(*d, reason);
  signal_group(d->pid, SIGTERM);
  d->stop_sent_at = Clock::now();
  d->state = "down";
  stopping_.push_back(std::move(d));
}

// Preboot, as Heroku does it for web: an up web dyno keeps serving until its replacement is up
// (hand_over). Other types stop first, as on Heroku, whose preboot covers web only: a worker or
// clock process is often meant to run once (a scheduler, a queue consumer), and two copies side
// by side would do its work twice. A web dyno that is not up serves nobody, so it just stops.
void Supervisor::replace(std::unique_ptr<Dyno> d) {
  if (d->type == "web" && d->state == "up") {
    outgoing_.push_back(std::move(d));
  } else {
    retire(std::move(d), "Restarting");
  }
}

// An outgoing dyno serves until its replacement is up, then leaves the routing table and gets
// SIGTERM once the router has had time to notice. A replacement that fails to boot (crash, R10)
// does not keep it alive: the release or restart that was asked for wins. With no replacement
// at all (scaled down, app deleted, release not runnable) it stops at once, as before preboot.
void Supervisor::hand_over() {
  const auto now = Clock::now();
  for (auto it = outgoing_.begin(); it != outgoing_.end();) {
    Dyno& old = **it;
    if (!old.handed_over) {
      const auto next = active_.find(old.key());
      if (next == active_.end()) {
        retire(std::move(*it), "Stopping all processes with SIGTERM");
        it = outgoing_.erase(it);
        continue;
      }
      const Dyno& replacement = *next->second;
      if (replacement.state == "up" || replacement.crashes > 0) {
        if (replacement.state != "up") {
          log(old, "Replacement failed to boot; stopping the old process anyway");
        }
        old.handed_over = true;
        old.sigterm_at = now + kRouterCatchUp;
      }
    }
    if (old.handed_over && now >= old.sigterm_at) {
      retire(std::move(*it), "Restarting");
      it = outgoing_.erase(it);
    } else {
      ++it;
    }
  }
}

void Supervisor::poll_output(int timeout_ms) {
  std::vector<pollfd> fds;
  std::vector<Dyno*> owners;
  auto add = [&](Dyno& d) {
    if (d.output_fd >= 0) {
      fds.push_back(pollfd{d.output_fd, POLLIN, 0});
      owners.push_back(&d);
    }
  };
  for (auto& [key, d] : active_) add(*d);
  for (auto* dynos : {&outgoing_, &stopping_}) {
    for (auto& d : *dynos) add(*d);
  }
  if (fds.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
    return;
  }
  if (::poll(fds.data(), fds.size(), timeout_ms) <= 0) return;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (fds[i].revents != 0) drain(*owners[i], false);
  }
}

void Supervisor::drain(Dyno& d, bool final) {
  auto emit = [&](std::string_view line) {
    logs::append_line(paths_.data_dir, d.app_id, "app", d.name, line);
  };
  char buffer[65536];
  ssize_t n = 0;
  while ((n = ::read(d.output_fd, buffer, sizeof buffer)) > 0) {
    d.partial_line.append(buffer, static_cast<std::size_t>(n));
    std::size_t nl = 0;
    while ((nl = d.partial_line.find('\n')) != std::string::npos) {
      emit(std::string_view(d.partial_line).substr(0, nl));
      d.partial_line.erase(0, nl + 1);
    }
    if (d.partial_line.size() > kMaxLineBytes) {  // a runaway line is cut, not buffered forever
      emit(d.partial_line);
      d.partial_line.clear();
    }
  }
  if (n == 0 || final) {  // EOF (the process and its children are gone), or reaped: flush, close
    if (!d.partial_line.empty()) emit(d.partial_line);
    d.partial_line.clear();
    ::close(d.output_fd);
    d.output_fd = -1;
  }
}

void Supervisor::reap() {
  auto exited = [](Dyno& d, int& status) {
    return d.pid > 0 && ::waitpid(d.pid, &status, WNOHANG) == d.pid;
  };
  int status = 0;
  for (auto& [key, d] : active_) {
    if (!exited(*d, status)) continue;
    if (d->output_fd >= 0) drain(*d, true);
    log(*d, describe_exit(status));
    log(*d, "State changed from " + d->state + " to crashed");
    signal_group(d->pid, SIGKILL);  // leftover children of a crashed dyno go with it
    d->pid = -1;
    d->state = "crashed";
    d->state_since = now_iso8601();
    d->restart_at = Clock::now() + cool_off(++d->crashes);
  }
  // Dynos on their way out (stopping, or outgoing and gone early) are not restarted.
  for (auto* dynos : {&outgoing_, &stopping_}) {
    for (auto it = dynos->begin(); it != dynos->end();) {
      if (exited(**it, status)) {
        if ((*it)->output_fd >= 0) drain(**it, true);
        log(**it, describe_exit(status));
        signal_group((*it)->pid, SIGKILL);
        it = dynos->erase(it);
      } else {
        ++it;
      }
    }
  }
}

void Supervisor::check_boot_and_stops() {
  const auto now = Clock::now();
  for (auto& [key, d] : active_) {
    if (d->pid < 0) continue;
    if (d->state == "starting" && d->port != 0) {
      if (port_accepts(d->port)) {
        log(*d, "State changed from starting to up");
        d->state = "up";
        d->state_since = now_iso8601();
      } else if (now - d->started_at > options_.boot_timeout) {
        log(*d, "Error R10 (Boot timeout) -> Web process failed to bind to $PORT within " +
                    std::to_string(options_.boot_timeout.count()) + " seconds of launch");
        log(*d, "Stopping process with SIGKILL");
        signal_group(d->pid, SIGKILL);  // reaped as a crash, then restarted with cool-off
      }
    }
    if (d->state == "up" && d->crashes > 0 && now - d->started_at > std::chrono::minutes(10)) {
      d->crashes = 0;  // a dyno that stays up earns back immediate restarts
    }
  }
  for (auto& d : stopping_) {
    if (!d->kill_sent && now - d->stop_sent_at > options_.stop_grace) {
      log(*d, "Error R12 (Exit timeout) -> At least one process failed to exit within " +
                  std::to_string(options_.stop_grace.count()) + " seconds of SIGTERM");
      log(*d, "Stopping remaining processes with SIGKILL");
      signal_group(d->pid, SIGKILL);
      d->kill_sent = true;
    }
  }
}

void Supervisor::publish() {
  std::map<std::string, std::vector<DynoStatus>> by_app;
  std::map<std::string, AppRoute> routes;
  for (const auto& [id, app] : desired_) {
    by_app[id];
    routes[app.app_name].maintenance = app.maintenance;
    routes[app.app_name].app_id = app.app_id;
  }
  for (const auto& [key, d] : active_) {
    by_app[d->app_id].push_back(DynoStatus{d->name, d->type, d->command, d->state, d->size,
                                           d->release_version, d->release_id, d->state_since,
                                           d->port});
    if (d->type == "web" && d->state == "up") {
      routes[d->app_name].backends.emplace_back(d->name, d->port);
    }
  }
  for (const auto& d : outgoing_) {  // still serving while their replacement boots
    if (!d->handed_over) routes[d->app_name].backends.emplace_back(d->name, d->port);
  }
  // Routes first: a dyno that `heroku ps` shows up is already in the routing table.
  std::string route_signature;
  for (const auto& [name, r] : routes) {
    route_signature += name + (r.maintenance ? "!" : "") + ":";
    for (const auto& [dyno, port] : r.backends)
      route_signature += dyno + "@" + std::to_string(port) + ",";
    route_signature += ";";
  }
  if (route_signature != published_routes_ && write_routes(paths_, routes)) {
    published_routes_ = route_signature;
  }
  for (const auto& [app_id, dynos] : by_app) {
    std::string signature;
    for (const auto& d : dynos) {
      signature += d.name + d.state + d.updated_at + std::to_string(d.port) + d.release_id + ";";
    }
    if (published_status_[app_id] == signature) continue;
    if (write_status(paths_, app_id, dynos)) published_status_[app_id] = signature;
  }
}

}  // namespace slipway::runtime
