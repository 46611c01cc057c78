// Turns a directory-format pg_dump (`pg_dump -Fd -j N`, whose tables are dumped in parallel)
// into the single custom-format archive backups are stored and downloaded as, without
// compressing anything again: each data file's gzip member holds a deflate stream, which a
// custom archive stores as a zlib stream, so only the 10-byte wrapper changes (and the zlib
// checksum, computed by inflating the data once: gzip_member.h, done while pg_dump still runs
// by dump_follower.h). Every gzip member's CRC and length are checked, so a damaged dump file
// fails the conversion. Each table's rows are counted on the way, for the backup's
// verification.
//
// The archive's layout (where each data block goes) follows from the files' sizes alone, so
// the TOC is written first and `jobs` threads write the data blocks at their offsets at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "addons/postgres/gzip_member.h"
#include "common/result.h"

namespace slipway::addons::postgres {

// One line of a directory dump's blobs.toc: "<oid> blob_<oid>.dat".
struct BlobFile {
  std::uint32_t oid = 0;
  std::string filename;
};
// kInvalidParams for any line that is not exactly that (the names become paths).
Result<std::vector<BlobFile>> parse_blobs_toc(std::string_view text);

// A table whose data the dump holds (a TABLE DATA entry), and how many rows: counted in its
// COPY data as it was checked or copied (copy_rows.h); nullopt if that data did not end as
// pg_dump's does.
struct DumpedTable {
  std::string schema;
  std::string table;
  std::optional<std::int64_t> rows;
};

// Writes the directory dump `dir` as a custom-format archive `out` (replaced if it exists;
// removed again on failure) and returns its tables, in TOC order. kConflict "canceled" when
// `cancel` becomes true meanwhile. The files in `checked` (by name) are copied as they are;
// the others are checked first.
Result<std::vector<DumpedTable>> directory_dump_to_custom(const std::filesystem::path& dir,
                                                          const std::filesystem::path& out,
                                                          int jobs,
                                                          const std::atomic<bool>* cancel = nullptr,
                                                          const CheckedFiles* checked = nullptr);

}  // namespace slipway::addons::postgres
