// The pure checks of PGBackups: is a file a pg_dump custom-format archive (its "PGDMP" magic),
// and do the row counts of a restored archive match those counted when it was dumped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace slipway::daemon {

// True when `head` (a file's first bytes) starts like a custom-format archive.
bool has_dump_magic(std::string_view head);
// kInvalidParams when the file is missing, empty, or not a custom-format archive.
Status check_dump_file(const std::filesystem::path& file);

struct TableRows {
  std::string schema;
  std::string table;
  std::int64_t rows = 0;
  bool operator==(const TableRows&) const = default;
};

struct Verification {
  bool ok = false;
  // "Verified: 4 tables, 1200 rows match", or what differs ("public.items: 10 rows dumped, 7
  // restored"; "public.t: missing after restore").
  std::string message;
};

// Compares what was counted in the dump's snapshot with what the restore holds: every table
// dumped must be restored with the same row count (extra tables in `restored` are ignored).
Verification compare_counts(const std::vector<TableRows>& dumped,
                            const std::vector<TableRows>& restored);

}  // namespace slipway::daemon
