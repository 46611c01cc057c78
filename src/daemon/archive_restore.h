// pg_restore of a custom-format archive into a database, using every core even when one table
// holds most of the data: pg_restore -j loads each table over one connection, so such a table
// used to keep one core busy while the other idled (bench/README.md). Tables whose data block
// is at least `split_table_bytes` are loaded over `jobs` connections at once
// (addons/postgres/split_load.h) while pg_restore -j loads every other item of the data section,
// between pg_restore's pre-data and post-data sections. An archive with no such table, or whose
// TOC we do not read (other pg_dump versions, no data offsets), is restored by one pg_restore.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "daemon/pg_tools.h"

namespace slipway::daemon {

struct ArchiveRestore {
  std::filesystem::path pg_restore;  // the program
  std::filesystem::path archive;
  std::string url;                   // the database restored into
  std::vector<std::string> options;  // other pg_restore options (--no-owner, --exit-on-error...)
  std::optional<std::string> role;   // pg_restore --role, and the loaders' SET ROLE
  std::map<std::string, std::string> extra_env;  // for pg_restore (PGOPTIONS)
  int jobs = 1;
  std::uint64_t split_table_bytes = std::uint64_t{16} << 20;  // 0: never
  std::size_t piece_bytes = std::size_t{1} << 20;  // rows handed to a connection at a time
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(const std::string&)> log;  // progress lines for the transfer's log
};

// As run_tool reports a single pg_restore: succeeded, canceled, or failed with the errors.
Result<ToolOutcome> restore_archive_using_every_core(const ArchiveRestore& restore);

}  // namespace slipway::daemon
