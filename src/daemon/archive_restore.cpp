#include "daemon/archive_restore.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "addons/postgres/split_load.h"
#include "addons/postgres/table_data.h"
#include "common/fs.h"

namespace slipway::daemon {
namespace {

namespace fs = std::filesystem;
namespace pg = addons::postgres;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
constexpr auto kCancelPoll = std::chrono::milliseconds(50);
// Sessions loading one table at most, whatever the cores: they contend for the table (on 2
// cores, 4 sessions loaded slower than 2; bench/README.md), and each takes one of the server's
// connections beside pg_restore's own.
constexpr int kMaxLoadSessions = 8;

Result<ToolOutcome> run_pg_restore(const ArchiveRestore& restore,
                                   const std::map<std::string, std::string>& env,
                                   const std::vector<std::string>& section_options,
                                   const std::atomic<bool>* cancel) {
  std::vector<std::string> argv = {restore.pg_restore.string()};
  argv.insert(argv.end(), restore.options.begin(), restore.options.end());
  argv.insert(argv.end(), section_options.begin(), section_options.end());
  argv.push_back("--jobs=" + std::to_string(restore.jobs));
  if (restore.role) argv.push_back("--role=" + *restore.role);
  argv.push_back("--dbname=" + env.at("PGDATABASE"));
  argv.push_back(restore.archive.string());
  return run_tool(argv, env, cancel);
}

ToolOutcome failed(std::string why) { return ToolOutcome{false, false, std::move(why)}; }

// The archive's TOC list (pg_restore -l) without the given entries, for pg_restore -L.
Status write_list_without(const ArchiveRestore& restore, const std::set<int>& left_out,
                          const fs::path& list) {
  auto listed = run_tool(
      {restore.pg_restore.string(), "--list", "--file=" + list.string(), restore.archive.string()},
      {{"LC_ALL", "C"}}, restore.cancel);
  if (!listed) return listed.error();
  if (!listed->succeeded)
    return make_error(ErrorCode::kInternal, "pg_restore --list: " + listed->tail);
  auto text = read_file(list);
  if (!text) return text.error();
  std::istringstream lines(*text);
  std::string kept;
  for (std::string line; std::getline(lines, line);) {
    // "3364; 0 16391 TABLE DATA public pgbench_accounts admin": the dump id comes first.
    int id = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), id);
    if (ec == std::errc() && end != line.data() + line.size() && *end == ';' &&
        left_out.contains(id)) {
      continue;
    }
    kept += line + "\n";
  }
  return write_file_atomic(list, kept);
}

// The data section: the large tables here, over every connection each, one after the other;
// everything else by pg_restore -j at the same time. Either failing stops the other.
Result<ToolOutcome> restore_data(const ArchiveRestore& restore,
                                 const std::map<std::string, std::string>& env,
                                 const pg::ArchiveToc& toc,
                                 const std::vector<pg::TableDataBlock>& large,
                                 const fs::path& list) {
  std::set<int> left_out;
  for (const auto& block : large) left_out.insert(block.entry->dump_id);
  if (auto s = write_list_without(restore, left_out, list); !s) return s.error();
  auto params = pg::ConnectParams::parse(restore.url);
  if (!params) return params.error();

  std::atomic<bool> stop{false};
  std::atomic<bool> loading{true};
  // A cancel reaches both: the loaders and the pg_restore both watch `stop`.
  std::thread cancel_watch([&] {
    while (loading.load()) {
      if (restore.cancel != nullptr && restore.cancel->load()) stop = true;
      std::this_thread::sleep_for(kCancelPoll);
    }
  });
  Result<ToolOutcome> others = failed("not run");
  std::thread rest([&] {
    others = run_pg_restore(restore, env, {"--section=data", "--use-list=" + list.string()}, &stop);
    if (!others || !others->succeeded) stop = true;
  });
  Status loaded;
  const int sessions = std::min(restore.jobs, kMaxLoadSessions);
  for (const auto& block : large) {
    if (stop.load()) break;
    const pg::ArchiveTocEntry& entry = *block.entry;
    if (restore.log) {
      const std::string archived = block.size >= kMiB ? std::to_string(block.size / kMiB) + " MB"
                                                      : std::to_string(block.size / 1024) + " kB";
      restore.log("Loading " + entry.schema + "." + entry.tag + " (" + archived +
                  " archived) over " + std::to_string(sessions) + " connections at once");
    }
    pg::SplitLoad load{*params, restore.role, sessions};
    load.piece_bytes = restore.piece_bytes;
    load.stop = &stop;
    loaded = pg::load_table_split(restore.archive, toc, entry, load);
    if (!loaded) {
      stop = true;
      break;
    }
  }
  rest.join();
  loading = false;
  cancel_watch.join();

  if (restore.cancel != nullptr && restore.cancel->load()) return ToolOutcome{false, true, ""};
  if (!loaded && loaded.error().message != "canceled") return failed(loaded.error().message);
  if (!others) return others.error();
  if (!others->succeeded && !others->canceled) return others;
  if (!loaded || !others->succeeded) return failed("the data section was stopped");
  return others;
}

}  // namespace

Result<ToolOutcome> restore_archive_using_every_core(const ArchiveRestore& restore) {
  auto env = libpq_env(restore.url);
  if (!env) return env.error();
  for (const auto& [key, value] : restore.extra_env) (*env)[key] = value;
  std::vector<pg::TableDataBlock> large;
  std::optional<pg::ArchiveToc> toc;
  if (restore.jobs > 1) {
    std::error_code ec;
    const auto size = fs::file_size(restore.archive, ec);
    if (auto read = pg::read_custom_toc(restore.archive); read && !ec) {
      toc = std::move(*read);
      for (const auto& block : pg::table_data_blocks(*toc, size)) {
        if (restore.split_table_bytes > 0 && block.size >= restore.split_table_bytes) {
          large.push_back(block);
        }
      }
    }
  }
  if (large.empty()) return run_pg_restore(restore, *env, {}, restore.cancel);

  auto before = run_pg_restore(restore, *env, {"--section=pre-data"}, restore.cancel);
  if (!before || !before->succeeded) return before;
  const fs::path list = restore.archive.string() + ".list";
  auto data = restore_data(restore, *env, *toc, large, list);
  std::error_code ec;
  fs::remove(list, ec);
  if (!data || !data->succeeded) return data;
  return run_pg_restore(restore, *env, {"--section=post-data"}, restore.cancel);
}

}  // namespace slipway::daemon
