// Backups' dump step: pg_dump of one exported snapshot, and the rows it holds. The
// tables are dumped in parallel (`pg_dump -Fd -j N`, one server backend and one gzip stream per
// table at a time: a single-process `pg_dump -Fc` is bound by one core's gzip) and the directory
// is rewrapped as the custom-format archive backups are kept in (addons/postgres/
// archive_convert.h); its files are checked while pg_dump writes them (dump_follower.h), so the
// rewrap only copies; the same inflating counts each table's rows in its COPY data, so no table
// is read twice. If the parallel dump cannot run — a worker could not lock a table someone
// is altering, the server had no connection left for a worker — the single-process dump of the
// same snapshot runs instead. bench/README.md, "Dumping tables in parallel", has the figures.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "addons/postgres/archive_convert.h"
#include "addons/postgres/dump_follower.h"
#include "daemon/pg_tools.h"
#include "daemon/transfer_job.h"
#include "daemon/transfer_service.h"

namespace slipway::daemon {

namespace fs = std::filesystem;
using transfer::connect;

namespace {

// Bytes written so far under `path`, a file or a directory dump, for the CLI's progress line.
std::int64_t bytes_written(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return transfer::file_size_or_zero(path);
  std::int64_t total = 0;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    total += transfer::file_size_or_zero(entry.path());
  }
  return total;
}

// Where pg_dump -Fd writes, before the directory becomes the archive `file`.
fs::path directory_dump_of(const fs::path& file) {
  return fs::path(file).replace_extension(".dir");
}

std::string seconds_since(std::chrono::steady_clock::time_point start) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

}  // namespace

Result<ToolOutcome> TransferService::dump_snapshot(Job& job,
                                                   const std::map<std::string, std::string>& env,
                                                   const std::string& snapshot,
                                                   const fs::path& file, KnownRows& rows) {
  const fs::path dir = directory_dump_of(file);
  // The directory goes as soon as it has served (the transfer's end would remove it too): it is
  // as large as the archive.
  auto discard_directory = [&dir] {
    std::error_code ec;
    fs::remove_all(dir, ec);
  };
  addons::postgres::DumpFollower follower(dir, &job.cancel);
  auto parallel = run_tool(
      {pg_program("pg_dump"), "--format=directory", "--jobs=" + std::to_string(settings_.dump_jobs),
       "--compress=" + settings_.compression, "--no-sync", "--snapshot=" + snapshot,
       "--file=" + dir.string()},
      env, &job.cancel);
  auto checked = follower.finish();
  std::string why;
  if (!parallel) {
    why = parallel.error().message;
  } else if (parallel->canceled || job.cancel.load()) {
    return parallel;
  } else if (!parallel->succeeded) {
    why = parallel->tail;
  } else {
    const auto start = std::chrono::steady_clock::now();
    auto converted = addons::postgres::directory_dump_to_custom(dir, file, settings_.dump_jobs,
                                                                &job.cancel, &checked);
    discard_directory();
    if (converted) {
      for (const auto& table : *converted) {
        if (table.rows) rows[{table.schema, table.table}] = *table.rows;
      }
      log(job.transfer.id, "info",
          "pg_dump -Fd -j " + std::to_string(settings_.dump_jobs) +
              " finished; rewrapped as one custom-format archive in " + seconds_since(start) +
              " (" + std::to_string(checked.size()) +
              " data files already checked while pg_dump wrote them)");
      return parallel;
    }
    if (converted.error().code == ErrorCode::kConflict) return ToolOutcome{false, true, ""};
    why = converted.error().message;
  }
  discard_directory();
  log(job.transfer.id, "info",
      "the parallel dump did not work (" + why + "); dumping with one pg_dump process instead");
  return run_tool({pg_program("pg_dump"), "--format=custom", "--compress=" + settings_.compression,
                   "--no-sync", "--snapshot=" + snapshot, "--file=" + file.string()},
                  env, &job.cancel);
}

Status TransferService::dump(Job& job, const std::string& admin_url, const fs::path& file,
                             std::vector<TableRows>* counts) {
  auto env = libpq_env(admin_url);
  if (!env) return env.error();
  // One REPEATABLE READ transaction exports the snapshot pg_dump reads, and stays open until
  // the rows are counted: each table's from the COPY data pg_dump wrote of it, where the rewrap
  // counted them (free: its files are inflated anyway), else with count(*) in that snapshot. So
  // the counts are exactly what the archive holds. (count(*) of every table alongside pg_dump
  // made the dump step about 1.4 s slower in bench/postgres: the scans take cores from it.)
  auto conn = connect(admin_url);
  if (!conn) return make_error(ErrorCode::kInternal, "cannot connect: " + conn.error().message);
  if (auto b = conn->query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !b) return b.error();
  auto snap = conn->query("SELECT pg_export_snapshot(), pg_database_size(current_database())");
  if (!snap || snap->empty()) {
    return make_error(ErrorCode::kInternal, "cannot export a snapshot");
  }
  const std::string snapshot = (*snap)[0][0].value_or("");
  job.source_bytes = std::stoll((*snap)[0][1].value_or("0"));
  (void)store_.set_transfer_progress(job.transfer.id, 0, job.source_bytes);
  log(job.transfer.id, "info",
      "pg_dump -Z " + settings_.compression + " of " + job.transfer.from_name + " started");

  // The directory dump grows first, then the archive it becomes.
  const fs::path dir = directory_dump_of(file);
  auto written = [&] { return std::max(bytes_written(dir), transfer::file_size_or_zero(file)); };
  std::mutex done_mutex;
  std::condition_variable done_changed;
  bool done = false;
  Result<ToolOutcome> outcome = ToolOutcome{};
  KnownRows rows_in_archive;
  std::thread dumper([&] {
    auto ran = dump_snapshot(job, *env, snapshot, file, rows_in_archive);
    const std::lock_guard lock(done_mutex);
    outcome = std::move(ran);
    done = true;
    done_changed.notify_all();
  });
  // processed_bytes follows the dump as it grows, for the CLI's progress line; the wait ends
  // the moment the dump does.
  for (;;) {
    (void)store_.set_transfer_progress(job.transfer.id, written(), job.source_bytes);
    std::unique_lock lock(done_mutex);
    if (done_changed.wait_for(lock, std::chrono::milliseconds(500), [&] { return done; })) break;
  }
  dumper.join();
  Result<std::vector<TableRows>> counted = std::vector<TableRows>{};
  if (counts && outcome && outcome->succeeded && !job.cancel.load()) {
    counted = count_rows(*conn, rows_in_archive);
    if (counted) {
      const auto from_archive =
          std::count_if(counted->begin(), counted->end(), [&](const TableRows& t) {
            return rows_in_archive.count({t.schema, t.table}) != 0;
          });
      log(job.transfer.id, "info",
          "rows counted: " + std::to_string(from_archive) + " tables in the archive's data, " +
              std::to_string(static_cast<std::ptrdiff_t>(counted->size()) - from_archive) +
              " with count(*)");
    }
  }
  (void)conn->query("COMMIT");
  (void)store_.set_transfer_progress(job.transfer.id, written(), job.source_bytes);
  if (!outcome) return outcome.error();
  if (outcome->canceled || job.cancel.load()) {
    return make_error(ErrorCode::kConflict, "canceled");
  }
  if (!outcome->succeeded)
    return make_error(ErrorCode::kInternal, "pg_dump failed: " + outcome->tail);
  if (!counted)
    return make_error(ErrorCode::kInternal, "counting rows failed: " + counted.error().message);
  if (counts) *counts = std::move(*counted);
  if (auto s = check_dump_file(file); !s) {
    return make_error(ErrorCode::kInternal, "pg_dump's output is unusable: " + s.error().message);
  }
  log(job.transfer.id, "info",
      "pg_dump finished: " + std::to_string(transfer::file_size_or_zero(file)) + " bytes");
  return {};
}

}  // namespace slipway::daemon
