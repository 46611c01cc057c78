#include "daemon/transfer_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "addons/postgres/plans.h"
#include "addons/postgres/pq.h"
#include "api/transfer_views.h"
#include "build/child_process.h"
#include "build/http_download.h"
#include "common/crypto.h"
#include "common/fs.h"
#include "common/ids.h"
#include "daemon/archive_restore.h"
#include "daemon/pg_tools.h"
#include "daemon/transfer_job.h"

namespace slipway::daemon {

namespace fs = std::filesystem;
namespace pg = addons::postgres;
using nlohmann::json;

using transfer::connect;
using transfer::file_size_or_zero;
using transfer::with_dbname;

TransferService::TransferService(store::Store& store, store::BlobStore& blobs,
                                 PostgresProvider& postgres, TransferSettings settings)
    : store_(store), blobs_(blobs), postgres_(postgres), settings_(std::move(settings)) {
  const int cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  if (settings_.restore_jobs <= 0) settings_.restore_jobs = cores;
  if (settings_.dump_jobs <= 0) settings_.dump_jobs = cores;
}

TransferService::~TransferService() { stop(); }

void TransferService::start() {
  if (auto failed = store_.fail_interrupted_transfers(); failed && *failed > 0) {
    spdlog::warn("{} transfer(s) interrupted by the last stop were marked failed", *failed);
  }
  std::error_code ec;
  fs::remove_all(work_dir(), ec);  // leftovers of interrupted transfers
  (void)make_directories(work_dir(), 0700);
  const std::lock_guard lock(mutex_);
  stopping_ = false;
  for (int i = 0; i < settings_.workers; ++i) {
    workers_.emplace_back([this, i] {
      if (i == 0) sweep_leftover_work_databases();  // of transfers a crash cut short
      run();
    });
  }
  if (settings_.disk_reserve_bytes > 0) workers_.emplace_back([this] { watch_disk(); });
}

void TransferService::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [id, flag] : running_) flag->store(true);
  }
  wake_.notify_all();
  disk_wake_.notify_all();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  workers_.clear();
}

std::string TransferService::pg_program(std::string_view name) const {
  return (settings_.bin_dir / name).string();
}

void TransferService::log(const std::string& id, std::string_view level,
                          const std::string& message) {
  (void)store_.append_transfer_log(id, level, message);
}

Result<store::Transfer> TransferService::enqueue(const store::NewTransfer& spec) {
  auto t = store_.create_transfer(spec);
  if (!t) return t;
  {
    const std::lock_guard lock(mutex_);
    queue_.push_back(t->id);
  }
  wake_.notify_one();
  return t;
}

Result<store::Transfer> TransferService::capture(const store::Addon& addon,
                                                 std::optional<std::string> schedule_name) {
  auto plan = pg::find_plan(addon.plan);
  const std::int64_t keep = plan ? plan->retained_backups : 2;
  const std::string from_name = api::attachment_name_for(addon);
  store::NewTransfer spec;
  spec.app_id = addon.app_id;
  spec.addon_id = addon.id;
  spec.from_type = "pg_dump";
  spec.from_name = from_name;
  spec.from_url = addon.url ? api::redact_url(*addon.url) : "";
  spec.to_type = "gof3r";
  spec.to_name = "BACKUP";
  spec.to_url = *settings_.api_url + "/backups/{uuid}.dump";
  spec.schedule = std::move(schedule_name);
  spec.job_json = json{{"kind", "backup"}, {"addon_id", addon.id}, {"num_keep", keep}}.dump();
  return enqueue(spec);
}

Result<store::Transfer> TransferService::restore(const store::Addon& target,
                                                 const std::string& target_name,
                                                 const api::RestoreSource& source) {
  store::NewTransfer spec;
  spec.app_id = target.app_id;
  spec.addon_id = target.id;
  spec.into_addon_id = target.id;
  spec.from_type = "gof3r";
  spec.to_type = "pg_restore";
  spec.to_name = target_name;
  spec.to_url = target.url ? api::redact_url(*target.url) : "";
  json job{{"kind", "restore"}, {"addon_id", target.id}};
  if (source.backup) {
    spec.from_name = api::transfer_name(*source.backup);
    spec.from_url = source.backup->to_url;
    job["blob"] = source.backup->blob_sha256.value_or("");
  } else {
    spec.from_name = "BACKUP";
    spec.from_url = build::display_url(source.url);
    job["url"] = source.url;
  }
  spec.job_json = job.dump();
  return enqueue(spec);
}

Result<store::Transfer> TransferService::copy(const store::Addon& owner,
                                              const api::CopyEndpoint& from,
                                              const api::CopyEndpoint& to) {
  store::NewTransfer spec;
  spec.app_id = owner.app_id;
  spec.addon_id = owner.id;
  spec.from_type = "pg_dump";
  spec.to_type = "pg_restore";
  spec.from_name = from.name;
  spec.to_name = to.name;
  spec.from_url = api::redact_url(from.url);
  spec.to_url = api::redact_url(to.url);
  json job{{"kind", "copy"}, {"from_url", from.url}, {"to_url", to.url}};
  if (from.addon) job["from_addon"] = from.addon->id;
  if (to.addon) {
    job["to_addon"] = to.addon->id;
    spec.into_addon_id = to.addon->id;
  }
  spec.job_json = job.dump();
  return enqueue(spec);
}

Result<store::Transfer> TransferService::cancel(const store::Transfer& transfer) {
  auto canceled = store_.cancel_transfer(transfer.id);
  if (!canceled) return canceled;
  const std::lock_guard lock(mutex_);
  if (const auto it = running_.find(transfer.id); it != running_.end()) it->second->store(true);
  return canceled;
}

Status TransferService::remove(const store::Transfer& transfer) {
  if (!transfer.finished_at) {
    if (auto c = cancel(transfer); !c) return c.error();
  }
  auto orphan = store_.delete_transfer(transfer.id);
  if (!orphan) return orphan.error();
  if (*orphan) blobs_.remove(**orphan);
  return {};
}

void TransferService::run() {
  for (;;) {
    std::string id;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      id = queue_.front();
      queue_.pop_front();
    }
    auto t = store_.find_transfer_by_id(id);
    if (!t || t->finished_at) continue;  // canceled while queued
    std::atomic<bool> cancel{false};
    {
      const std::lock_guard lock(mutex_);
      running_[id] = &cancel;
      if (stopping_) cancel.store(true);
    }
    execute(*t, cancel);
    const std::lock_guard lock(mutex_);
    running_.erase(id);
    stop_reasons_.erase(id);
  }
}

void TransferService::execute(const store::Transfer& t, const std::atomic<bool>& cancel) {
  Job job{t, json::parse(t.job_json, nullptr, /*allow_exceptions=*/false), cancel};
  (void)store_.start_transfer(t.id);
  const std::string kind = job.spec.is_object() ? job.spec.value("kind", "") : "";
  Status outcome;
  if (auto reason = low_disk()) {  // not even begun; watch_disk stops those that run
    const std::lock_guard lock(mutex_);
    stop_reasons_.emplace(t.id, *reason);
    outcome = make_error(ErrorCode::kConflict, "canceled");
  } else if (kind == "backup") {
    outcome = run_backup(job);
  } else if (kind == "restore") {
    outcome = run_restore(job);
  } else if (kind == "copy") {
    outcome = run_copy(job);
  } else {
    outcome = make_error(ErrorCode::kInternal, "the transfer's record is damaged");
  }
  std::error_code ec;
  for (const auto* suffix : {".dump", ".download", ".dir"}) {
    fs::remove_all(work_dir() / (t.id + suffix), ec);
  }
  if (job.work_server) drop_work_databases(*job.work_server, job.key());
  const auto stopped_for = take_stop_reason(t.id);
  if (outcome.ok()) return;  // the step finished it
  if (stopped_for) {
    std::string what_is_left;
    if (kind == "backup") what_is_left = " No backup was kept.";
    if (kind == "restore" || (kind == "copy" && !job.spec.value("to_addon", "").empty())) {
      what_is_left = " " + t.to_name + " was not changed.";  // staged, never swapped in
    }
    log(t.id, "error", *stopped_for + what_is_left);
    (void)store_.finish_transfer(t.id, false, std::nullopt, std::nullopt);
    spdlog::warn("transfer {} ({}) stopped: {}", api::transfer_name(t), t.app_name, *stopped_for);
    return;
  }
  if (cancel.load()) {
    (void)store_.cancel_transfer(t.id);  // no-op when the API marked it already
    return;
  }
  log(t.id, "error", outcome.error().message);
  (void)store_.finish_transfer(t.id, false, std::nullopt, std::nullopt);
  spdlog::warn("transfer {} ({}) failed: {}", api::transfer_name(t), t.app_name,
               outcome.error().message);
}

Result<std::string> TransferService::verify(Job& job, const std::string& admin_url,
                                            const fs::path& file,
                                            const std::vector<TableRows>& dumped) {
  const std::string scratch = pg::scratch_name(job.key());
  auto admin = connect(admin_url);
  if (!admin) return make_error(ErrorCode::kInternal, "cannot connect: " + admin.error().message);
  auto name = admin->identifier(scratch);
  if (!name) return name.error();
  if (auto c = admin->query("CREATE DATABASE " + *name); !c) {
    return make_error(ErrorCode::kInternal,
                      "cannot create a scratch database: " + c.error().message);
  }
  // No tenant may connect to it, not even while it exists.
  (void)admin->query("REVOKE ALL ON DATABASE " + *name + " FROM PUBLIC");
  log(job.transfer.id, "info",
      "Verifying: restoring the archive into a scratch database (pg_restore -j " +
          std::to_string(settings_.restore_jobs) + ")");
  const std::string scratch_url = with_dbname(admin_url, scratch);
  Result<std::string> result = [&]() -> Result<std::string> {
    auto env = libpq_env(scratch_url);
    if (!env) return env.error();
    ArchiveRestore restore = archive_restore(job, file, scratch_url);
    restore.options = {"--no-owner", "--no-acl", "--exit-on-error"};
    auto restored = restore_archive_using_every_core(restore);
    if (!restored) return restored.error();
    if (restored->canceled) return make_error(ErrorCode::kConflict, "canceled");
    if (!restored->succeeded) {
      return make_error(ErrorCode::kInvalidParams,
                        "Verification failed: the archive does not restore: " + restored->tail);
    }
    auto conn = connect(scratch_url);
    if (!conn) return make_error(ErrorCode::kInternal, "cannot connect: " + conn.error().message);
    auto counts = restored_rows(*conn);
    if (!counts) return counts.error();
    const Verification v = compare_counts(dumped, *counts);
    if (!v.ok) return make_error(ErrorCode::kInvalidParams, v.message);
    return v.message;
  }();
  return result;
}

bool TransferService::drop_work_databases(const pg::DatabaseLocation& server,
                                          const std::string& key) {
  if (auto s = postgres_.engine().drop_work_databases(server, key); !s) {
    spdlog::warn("could not drop the work databases of transfer key {}: {}", key,
                 s.error().message);
    return false;
  }
  return true;
}

bool TransferService::drop_leftover_work_databases() {
  // A replacement's work databases tell whether its swap committed: kept until it is settled.
  const auto unsettled = settle_interrupted_replacements();
  auto addons = store_.list_addons(std::nullopt);
  if (!addons) return false;
  bool all = unsettled.empty();
  std::set<std::pair<std::string, unsigned short>> seen;  // one look per server
  for (const auto& addon : *addons) {
    if (addon.service != "heroku-postgresql" || addon.state != "provisioned") continue;
    auto location = database_location(addon);
    if (!location) {
      all = false;
      continue;
    }
    if (!seen.insert({location->instance, location->port}).second) continue;
    auto keys = postgres_.engine().work_database_keys(*location);
    if (!keys) {
      spdlog::warn("cannot look for leftover work databases: {}", keys.error().message);
      all = false;
      continue;
    }
    for (const auto& key : *keys) {
      if (running_key(key) || unsettled.contains(key)) continue;
      spdlog::info("dropping work databases an interrupted transfer left (key {})", key);
      all = drop_work_databases(*location, key) && all;
    }
  }
  return all;
}

void TransferService::sweep_leftover_work_databases() {
  // Just after a restart a server may not answer yet (the add-on worker brings it back within
  // seconds): look again for a minute rather than leave the leftovers taking its disk.
  constexpr int kAttempts = 30;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    if (drop_leftover_work_databases()) return;
    // 2 s in short sleeps, not a wait on wake_: that would swallow a job's wake-up.
    for (int tick = 0; tick < 20; ++tick) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
  }
  spdlog::warn("gave up looking for leftover work databases; they go at the next start");
  give_up_interrupted_replacements();
}

std::optional<std::string> TransferService::low_disk() const {
  // Archives, downloads and work databases go to the disk the platform's own PostgreSQL data
  // is on: a transfer that filled it would take every database there down with it.
  constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
  if (settings_.disk_reserve_bytes == 0) return std::nullopt;
  std::error_code ec;
  const auto space = fs::space(settings_.data_dir, ec);
  if (ec || space.available >= settings_.disk_reserve_bytes) return std::nullopt;
  return "Stopped to keep the disk from filling: " + std::to_string(space.available / kMiB) +
         " MB is free on the disk holding Slipway's data, under the " +
         std::to_string(settings_.disk_reserve_bytes / kMiB) +
         " MB kept free (--transfer-disk-reserve); free some space and try again.";
}

void TransferService::watch_disk() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    disk_wake_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_ || running_.empty()) continue;
    lock.unlock();
    const auto reason = low_disk();
    lock.lock();
    if (!reason) continue;
    for (auto& [id, flag] : running_) {
      if (stop_reasons_.emplace(id, *reason).second) flag->store(true);
    }
  }
}

std::optional<std::string> TransferService::take_stop_reason(const std::string& id) {
  const std::lock_guard lock(mutex_);
  auto it = stop_reasons_.find(id);
  if (it == stop_reasons_.end()) return std::nullopt;
  std::string reason = std::move(it->second);
  stop_reasons_.erase(it);
  return reason;
}

bool TransferService::running_key(const std::string& key) {
  const std::lock_guard lock(mutex_);
  return std::any_of(running_.begin(), running_.end(),
                     [&](const auto& running) { return work_key(running.first) == key; });
}

Status TransferService::run_backup(Job& job) {
  const std::string addon_id = job.spec.value("addon_id", "");
  auto addon = store_.find_addon(addon_id);
  if (!addon) return make_error(ErrorCode::kNotFound, "the database no longer exists");
  auto location = database_location(*addon);
  if (!location) return location.error();
  auto admin_url = postgres_.engine().admin_url(*location);
  if (!admin_url) return admin_url.error();
  const fs::path file = work_dir() / (job.transfer.id + ".dump");
  std::vector<TableRows> counts;
  if (auto s = dump(job, *admin_url, file, &counts); !s) return s;
  // The archive is hashed for the blob store while the verification restores it (both only
  // read it), off the capture's clock.
  auto hashing = std::async(std::launch::async, [&file] { return sha256_file(file); });
  job.work_server = *location;
  auto verified = verify(job, *admin_url, file, counts);
  auto sha = hashing.get();
  if (!verified) {
    if (verified.error().code == ErrorCode::kConflict) return verified.error();
    log(job.transfer.id, "error", verified.error().message);
    (void)store_.finish_transfer(job.transfer.id, false, verified.error().message, std::nullopt);
    return {};
  }
  log(job.transfer.id, "info", *verified);
  const std::int64_t size = file_size_or_zero(file);
  if (!sha) return sha.error();
  if (auto adopted = blobs_.adopt(file, *sha); !adopted) return adopted.error();
  (void)store_.set_transfer_progress(job.transfer.id, size, job.source_bytes);
  auto finished = store_.finish_transfer(job.transfer.id, true, *verified, *sha);
  if (finished && finished->canceled_at) return {};  // canceled at the last moment
  log(job.transfer.id, "info", "Backup completed");
  if (!job.transfer.schedule) {
    auto pruned = store_.prune_backups(addon_id, job.spec.value("num_keep", std::int64_t{2}));
    if (pruned) {
      for (const auto& blob : *pruned) blobs_.remove(blob);
    }
  }
  return {};
}

}  // namespace slipway::daemon
