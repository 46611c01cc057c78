// Restores and copies (pg:backups:restore, pg:copy). Into an add-on, the archive goes into a
// staged database that replaces the add-on's only once it is whole (addons/postgres/staging.h):
// a failure, a cancel or a crash midway leaves the add-on's database as it was. Into any other
// URL, pg_restore --clean works in place.
#include <spdlog/spdlog.h>

#include "build/http_download.h"
#include "daemon/archive_restore.h"
#include "daemon/pg_tools.h"
#include "daemon/transfer_job.h"
#include "daemon/transfer_service.h"

namespace slipway::daemon {

namespace fs = std::filesystem;
namespace pg = addons::postgres;
using transfer::connect;
using transfer::file_size_or_zero;

namespace {

constexpr std::uint64_t kMaxDownloadBytes = std::uint64_t{64} << 30;

}  // namespace

Status TransferService::restore_archive(Job& job, const fs::path& file, const std::string& url,
                                        bool clean, const std::optional<std::string>& role) {
  if (auto s = check_dump_file(file); !s) return s;
  // The archive's table of contents must read before anything in the target is touched.
  auto listed =
      run_tool({pg_program("pg_restore"), "--list", file.string()}, {{"LC_ALL", "C"}}, &job.cancel);
  if (!listed) return listed.error();
  if (!listed->succeeded) {
    return make_error(ErrorCode::kInvalidParams, "the archive is unreadable: " + listed->tail);
  }
  ArchiveRestore restore = archive_restore(job, file, url);
  restore.options = {"--no-owner", "--no-acl"};
  restore.role = role;
  if (clean) {
    // A session left idle inside a transaction holds its tables' locks until it ends, and
    // `--clean` would wait on them for ever: such sessions are ended first (the target's own,
    // as it may), and a lock still not granted after a minute fails the restore instead.
    auto target = connect(url);
    if (!target)
      return make_error(ErrorCode::kInternal, "cannot connect: " + target.error().message);
    auto ended = target->query(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND state LIKE 'idle in transaction%'");
    if (ended && ended->at(0).at(0).value_or("0") != "0") {
      log(job.transfer.id, "info",
          "Ended " + *ended->at(0).at(0) + " session(s) idle in a transaction, holding locks");
    }
    restore.extra_env["PGOPTIONS"] = "-c lock_timeout=60s";
    // In place: one pg_restore, which drops each object before it creates it.
    restore.options.insert(restore.options.end(), {"--clean", "--if-exists"});
    restore.split_table_bytes = 0;
  }
  (void)store_.set_transfer_progress(job.transfer.id, 0, file_size_or_zero(file));
  log(job.transfer.id, "info", "pg_restore into " + job.transfer.to_name + " started");
  auto restored = restore_archive_using_every_core(restore);
  if (!restored) return restored.error();
  if (restored->canceled) return make_error(ErrorCode::kConflict, "canceled");
  if (!restored->succeeded) {
    return make_error(ErrorCode::kInternal, "pg_restore failed: " + restored->tail);
  }
  (void)store_.set_transfer_progress(job.transfer.id, file_size_or_zero(file),
                                     file_size_or_zero(file));
  log(job.transfer.id, "info", "pg_restore finished");
  return {};
}

ArchiveRestore TransferService::archive_restore(Job& job, const fs::path& file,
                                                const std::string& url) {
  ArchiveRestore restore;
  restore.pg_restore = pg_program("pg_restore");
  restore.archive = file;
  restore.url = url;
  restore.jobs = settings_.restore_jobs;
  restore.split_table_bytes = settings_.split_table_bytes;
  restore.cancel = &job.cancel;
  restore.log = [this, id = job.transfer.id](const std::string& line) { log(id, "info", line); };
  return restore;
}

Status TransferService::refuse_during_plan_change(const store::Addon& addon) {
  auto changes = store_.plan_changes_in_progress();
  if (!changes) return changes.error();
  for (const auto& change : *changes) {
    if (change.addon_id == addon.id) {
      return make_error(ErrorCode::kConflict, addon.name + " is changing plans (" +
                                                  change.from_plan + " to " + change.to_plan +
                                                  "); try again once that has finished");
    }
  }
  return {};
}

Status TransferService::restore_into_addon(Job& job, const store::Addon& addon,
                                           const fs::path& file) {
  const std::string unchanged = "; " + job.transfer.to_name + " was not changed";
  const auto fail = [&](const Error& e) { return make_error(e.code, e.message + unchanged); };
  if (auto s = refuse_during_plan_change(addon); !s) return fail(s.error());
  auto location = database_location(addon);
  if (!location) return fail(location.error());
  auto& engine = postgres_.engine();
  job.work_server = *location;
  auto staged = engine.stage(*location, job.key());
  if (!staged) return fail(staged.error());
  // Connected as the server's admin (over the admin's own connection settings: no TLS to our
  // own loopback servers, and none of the role's connection slots, which its app may be
  // using), acting as the add-on's role (SET ROLE): what is restored belongs to it and nothing
  // is restored that the role could not create itself.
  auto admin = engine.admin_url(*staged);
  if (!admin) return fail(admin.error());
  if (auto s = restore_archive(job, file, *admin, /*clean=*/false, location->user); !s) {
    return fail(s.error());
  }
  if (job.cancel.load()) return make_error(ErrorCode::kConflict, "canceled");
  // From the claim on, neither a cancel nor a plan change can begin until this transfer ends
  // (a plan change begun before it would move the database elsewhere: the restored copy would
  // replace one the add-on no longer uses).
  if (auto claimed = store_.claim_replacement(job.transfer.id); !claimed) {
    if (claimed.error().message == "canceled") return claimed;
    return fail(claimed.error());
  }
  auto now = store_.find_addon(addon.id);
  if (!now) return fail(now.error());
  if (auto here = database_location(*now); !here || !(*here == *location)) {
    return fail(make_error(ErrorCode::kConflict, addon.name + " moved during the restore"));
  }
  log(job.transfer.id, "info", "Putting the restored database in place of " + job.transfer.to_name);
  auto ended = engine.swap_in(*location, job.key());
  if (!ended) return fail(ended.error());
  if (*ended > 0) {
    log(job.transfer.id, "info",
        "Ended " + std::to_string(*ended) + " session(s) of the replaced database");
  }
  auto finished = store_.finish_transfer(job.transfer.id, true, std::nullopt, std::nullopt);
  if (!finished) return finished.error();
  return {};
}

Status TransferService::run_restore(Job& job) {
  auto addon = store_.find_addon(job.spec.value("addon_id", ""));
  if (!addon) return make_error(ErrorCode::kNotFound, "the target database no longer exists");
  fs::path file;
  if (const std::string blob = job.spec.value("blob", ""); !blob.empty()) {
    if (!blobs_.contains(blob)) {
      return make_error(ErrorCode::kNotFound, "the backup's archive is gone");
    }
    file = blobs_.path_of(blob);
  } else {
    file = work_dir() / (job.transfer.id + ".download");
    const std::string url = job.spec.value("url", "");
    log(job.transfer.id, "info", "Downloading " + build::display_url(url));
    build::DownloadSpec spec{url, file, kMaxDownloadBytes};
    build::DownloadContext context;
    context.env = {{"PATH", "/usr/bin:/bin"}, {"LC_ALL", "C"}};
    context.control.cancel = &job.cancel;
    if (auto s = build::download_file(spec, context); !s) {
      return make_error(ErrorCode::kInvalidParams, "cannot download " + build::display_url(url) +
                                                       ": " + s.error().message +
                                                       "; the database was not changed");
    }
  }
  if (auto s = check_dump_file(file); !s) {
    return make_error(s.error().code, s.error().message + "; the database was not changed");
  }
  return restore_into_addon(job, *addon, file);
}

Status TransferService::run_copy(Job& job) {
  std::string from_url = job.spec.value("from_url", "");
  if (const std::string id = job.spec.value("from_addon", ""); !id.empty()) {
    auto addon = store_.find_addon(id);
    if (!addon) return make_error(ErrorCode::kNotFound, "the source database no longer exists");
    auto location = database_location(*addon);
    if (!location) return location.error();
    auto admin = postgres_.engine().admin_url(*location);
    if (!admin) return admin.error();
    from_url = *admin;  // everything in it is readable, whoever owns it
  }
  const fs::path file = work_dir() / (job.transfer.id + ".dump");
  if (auto s = dump(job, from_url, file, nullptr); !s) return s;
  if (const std::string id = job.spec.value("to_addon", ""); !id.empty()) {
    auto addon = store_.find_addon(id);
    if (!addon) return make_error(ErrorCode::kNotFound, "the target database no longer exists");
    // Replaced whole, as Heroku empties it first, but only once the copy is complete.
    return restore_into_addon(job, *addon, file);
  }
  if (auto s =
          restore_archive(job, file, job.spec.value("to_url", ""), /*clean=*/true, std::nullopt);
      !s) {
    return s;
  }
  auto finished = store_.finish_transfer(job.transfer.id, true, std::nullopt, std::nullopt);
  if (!finished) return finished.error();
  return {};
}

std::set<std::string> TransferService::settle_interrupted_replacements() {
  std::set<std::string> unsettled;
  auto pending = store_.interrupted_replacements();
  if (!pending) return unsettled;
  for (const auto& cut_short : *pending) {
    const std::string key = work_key(cut_short.transfer_id);
    if (running_key(key)) continue;
    const auto finish = [&](bool succeeded, const std::string& message) {
      finish_cut_short(cut_short.transfer_id, succeeded, message);
    };
    auto addon = store_.find_addon(cut_short.addon_id);
    auto location = addon ? database_location(*addon) : Result<pg::DatabaseLocation>(addon.error());
    if (!location) {
      finish(false,
             "Slipway's control plane restarted while this transfer ran, and its target "
             "database no longer exists.");
      continue;
    }
    auto state = postgres_.engine().swap_state(*location, key);
    if (!state) {
      unsettled.insert(key);  // its server is not answering yet: asked again
      continue;
    }
    switch (*state) {
      case pg::SwapState::kSwapped:
        finish(true,
               "Slipway's control plane restarted just after the restored database was "
               "put in place; the restore is complete.");
        break;
      case pg::SwapState::kNotSwapped:
        finish(false,
               "Slipway's control plane restarted before the restored database was put "
               "in place; the database was not changed.");
        break;
      case pg::SwapState::kUnknown:
        finish(false,
               "Slipway's control plane restarted while the restored database was being "
               "put in place, and neither it nor the replaced database is left to tell "
               "which one the add-on has; check its data.");
        break;
    }
  }
  return unsettled;
}

void TransferService::give_up_interrupted_replacements() {
  auto pending = store_.interrupted_replacements();
  if (!pending) return;
  for (const auto& cut_short : *pending) {
    if (running_key(work_key(cut_short.transfer_id))) continue;
    finish_cut_short(cut_short.transfer_id, false,
                     "Slipway's control plane restarted while the restored database was being "
                     "put in place, and its database server did not answer since, so it is not "
                     "known which database the add-on has; check its data.");
  }
}

void TransferService::finish_cut_short(const std::string& id, bool succeeded,
                                       const std::string& message) {
  log(id, succeeded ? "info" : "error", message);
  (void)store_.finish_transfer(id, succeeded, std::nullopt, std::nullopt);
  spdlog::info("transfer {} cut short by the last stop: {}", id, message);
}

}  // namespace slipway::daemon
