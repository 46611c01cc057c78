// Loading one large table's rows over several connections at once. pg_restore loads each table
// over a single connection, so a database that is mostly one table restores on one core
// (bench/README.md measured it). Here the table's COPY text is read out of the custom archive
// once, cut at row boundaries, and `connections` sessions each COPY pieces of it into the table
// at the same time: every row lands once, in an order of their own. The table must be there and
// empty of constraints that later rows rely on, as after pg_restore's pre-data section (indexes,
// keys and triggers come in post-data).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "addons/postgres/archive_toc.h"
#include "addons/postgres/pq.h"
#include "common/result.h"

namespace slipway::addons::postgres {

struct SplitLoad {
  ConnectParams target;             // the database
  std::optional<std::string> role;  // SET ROLE first, as pg_restore --role does
  int connections = 2;
  std::size_t piece_bytes = std::size_t{1} << 20;
  const std::atomic<bool>* stop = nullptr;  // when set, the load ends with kConflict "canceled"
};

// The client encoding the archive's ENCODING entry sets ("SET client_encoding = 'UTF8';"), or
// nullopt when it has none or it does not say it that way.
std::optional<std::string> archive_client_encoding(const ArchiveToc& toc);

// Loads the rows of `entry` (a TABLE DATA entry of the custom archive `archive`, whose TOC is
// `toc`). Each session commits its own COPY, so after a failure part of the rows may be there:
// the caller discards the database, as a failed pg_restore's is.
Status load_table_split(const std::filesystem::path& archive, const ArchiveToc& toc,
                        const ArchiveTocEntry& entry, const SplitLoad& load);

}  // namespace slipway::addons::postgres
