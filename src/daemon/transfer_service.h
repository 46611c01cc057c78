// PGBackups' worker: implements the API's TransferControl. Each call records the transfer in
// the store and queues it; worker threads run it (pg_dump / pg_restore by argv) while the CLI
// polls. A backup is verified before it is called succeeded: its archive is restored into a
// scratch database on the same server and every table's row count compared with the counts
// taken in the dump's own snapshot.
//
// Threads: `workers` threads taking queued transfers, plus one per running dump that runs
// pg_dump and rewraps its directory with up to `dump_jobs` threads (transfer_dump.cpp). Never
// runs a shell; connection details reach the programs only through their environment.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/transfer_control.h"
#include "daemon/dump_check.h"
#include "daemon/pg_tools.h"
#include "daemon/postgres_provider.h"
#include "store/blob_store.h"
#include "store/store.h"

namespace slipway::daemon {

struct ArchiveRestore;

struct TransferSettings {
  std::filesystem::path data_dir;  // work files go to DATA_DIR/transfers
  std::filesystem::path bin_dir = "/usr/lib/postgresql/15/bin";
  // The API's address once it listens: backups' to_url is on it.
  std::shared_ptr<const std::string> api_url;
  int workers = 2;
  int restore_jobs = 0;  // pg_restore -j; 0: every core
  int dump_jobs = 0;     // pg_dump -j (tables dumped at once); 0: every core
  // pg_dump -Z: gzip level 1 dumps about twice as fast as the default (6) for a 2 % larger
  // archive; see bench/README.md, "Choosing pg_dump's compression".
  std::string compression = "1";
  // Restores load a table whose archived data is at least this large over every core at once
  // (daemon/archive_restore.h); 0: never.
  std::uint64_t split_table_bytes = std::uint64_t{16} << 20;
  // Running transfers are stopped when data_dir's disk has less than this free (0: never).
  std::uint64_t disk_reserve_bytes = 0;
};

class TransferService : public api::TransferControl {
 public:
  TransferService(store::Store& store, store::BlobStore& blobs, PostgresProvider& postgres,
                  TransferSettings settings);
  ~TransferService() override;
  TransferService(const TransferService&) = delete;
  TransferService& operator=(const TransferService&) = delete;

  // Marks transfers a previous run left unfinished as failed, then starts the workers.
  void start();
  // Kills running pg_dump/pg_restore (their transfers fail) and joins the workers.
  void stop();

  // A backup of `addon`; `schedule_name` ("DATABASE_URL") makes it a scheduled one (a001).
  // This is what a backup scheduler calls.
  Result<store::Transfer> capture(const store::Addon& addon,
                                  std::optional<std::string> schedule_name) override;
  Result<store::Transfer> restore(const store::Addon& target, const std::string& target_name,
                                  const api::RestoreSource& source) override;
  Result<store::Transfer> copy(const store::Addon& owner, const api::CopyEndpoint& from,
                               const api::CopyEndpoint& to) override;
  Result<store::Transfer> cancel(const store::Transfer& transfer) override;
  Status remove(const store::Transfer& transfer) override;

 private:
  struct Job;
  Result<store::Transfer> enqueue(const store::NewTransfer& spec);
  void run();
  void execute(const store::Transfer& t, const std::atomic<bool>& cancel);
  Status run_backup(Job& job);
  Status run_restore(Job& job);
  Status run_copy(Job& job);
  Status dump(Job& job, const std::string& admin_url, const std::filesystem::path& file,
              std::vector<TableRows>* counts);
  // pg_dump of `snapshot` into the custom-format archive `file` (see transfer_dump.cpp); the
  // rows of the tables whose COPY data it counted on the way go into `rows`.
  Result<ToolOutcome> dump_snapshot(Job& job, const std::map<std::string, std::string>& env,
                                    const std::string& snapshot, const std::filesystem::path& file,
                                    KnownRows& rows);
  // pg_restore into `url`'s database (--clean: over what is there), as `role` if given.
  Status restore_archive(Job& job, const std::filesystem::path& file, const std::string& url,
                         bool clean, const std::optional<std::string>& role);
  Result<std::string> verify(Job& job, const std::string& admin_url,
                             const std::filesystem::path& file,
                             const std::vector<TableRows>& dumped);
  Status restore_into_addon(Job& job, const store::Addon& addon, const std::filesystem::path& file);
  Status refuse_during_plan_change(const store::Addon& addon);
  // Each is true when everything it was to drop is gone (failures are logged).
  bool drop_work_databases(const addons::postgres::DatabaseLocation& server,
                           const std::string& key);
  bool drop_leftover_work_databases();
  // Restores and copies the last stop cut short after they claimed their add-on's database
  // (transfer_restores.cpp): finished as succeeded if their swap committed, failed if not.
  // Returns the work keys of those it could not tell yet (their server did not answer).
  std::set<std::string> settle_interrupted_replacements();
  // Fails those still unsettled when the sweep gives up, saying what is not known.
  void give_up_interrupted_replacements();
  void finish_cut_short(const std::string& id, bool succeeded, const std::string& message);
  // drop_leftover_work_databases until it succeeds, for a minute at most, or the service stops.
  void sweep_leftover_work_databases();
  bool running_key(const std::string& key);
  // Why transfers must stop, when data_dir's disk has less free than the reserve.
  std::optional<std::string> low_disk() const;
  // Every second while transfers run: stops them all when the disk is below the reserve.
  void watch_disk();
  std::optional<std::string> take_stop_reason(const std::string& id);
  void log(const std::string& id, std::string_view level, const std::string& message);
  std::filesystem::path work_dir() const { return settings_.data_dir / "transfers"; }
  std::string pg_program(std::string_view name) const;
  // pg_restore of `file` into `url` with this service's jobs, cancel and log (options unset).
  ArchiveRestore archive_restore(Job& job, const std::filesystem::path& file,
                                 const std::string& url);

  store::Store& store_;
  store::BlobStore& blobs_;
  PostgresProvider& postgres_;
  TransferSettings settings_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;                      // transfer ids
  std::map<std::string, std::atomic<bool>*> running_;  // by transfer id
  std::map<std::string, std::string> stop_reasons_;    // why the platform stopped one
  std::condition_variable disk_wake_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace slipway::daemon
