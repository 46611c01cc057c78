// The header and table of contents of a pg_dump archive, as PostgreSQL 15's pg_dump writes them
// (archive version 1.14, also PostgreSQL 14's): enough to read a directory-format dump's toc.dat
// and write the same contents as a custom-format archive's header and TOC (see archive_convert.h),
// and to find a custom archive's table data blocks (see table_data.h).
//
// Both formats share the layout: "PGDMP", version, integer and offset sizes, the format, the
// compression level, the creation time and three strings, then the entries. They differ only
// in the last field of each entry: a directory dump names the entry's data file, a custom
// archive gives the offset of the entry's data block in the same file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace slipway::addons::postgres {

// pg_dump's format byte (pg_backup_archiver.h's ArchiveFormat).
inline constexpr std::uint8_t kArchiveCustom = 1;
inline constexpr std::uint8_t kArchiveDirectory = 3;

// Where a custom-format TOC says an entry's data is.
struct DataOffset {
  bool has_data = false;
  std::uint64_t offset = 0;
};

struct ArchiveTocEntry {
  int dump_id = 0;
  bool had_dumper = false;  // the entry has data (TABLE DATA, BLOBS, SEQUENCE SET...)
  std::string tag;          // the object's name ("pgbench_accounts")
  std::string desc;         // "TABLE DATA", "BLOBS", ...
  std::string defn;         // its SQL ("SET client_encoding = 'UTF8';" for ENCODING)
  std::string copy_stmt;    // TABLE DATA: "COPY public.t (a, b) FROM stdin;\n"
  std::string schema;       // its namespace
  // The entry exactly as read, from its dump id through its dependency list: copied unchanged.
  std::string body;
  std::string filename;  // directory format: the data file ("3340.dat", "blobs.toc") or ""
  DataOffset data;       // custom format: where its data block starts, when the TOC says
};

struct ArchiveToc {
  int int_size = 4;         // bytes of an integer's magnitude
  int off_size = 8;         // bytes of a file offset
  int compression = 0;      // gzip level (-1: zlib's default); 0: the data is not compressed
  std::string header_head;  // "PGDMP" through the integer and offset sizes
  std::string header_tail;  // the compression level through the pg_dump version string
  std::vector<ArchiveTocEntry> entries;
};

// Parses a directory-format dump's toc.dat. kInvalidParams, saying what is wrong, for anything
// that is not one: other formats, other versions, integers or strings out of range, truncation.
Result<ArchiveToc> parse_directory_toc(std::string_view bytes);

// Parses a custom-format archive's header and TOC from its first bytes (the data blocks that
// follow are not read). kInvalidParams as above, also when the TOC runs past `bytes`.
Result<ArchiveToc> parse_custom_toc(std::string_view bytes);

// The custom-format archive's header and TOC for `toc`, `offsets[i]` being entry i's. Its size
// does not depend on the offsets' values, so it can be written before the data is laid out.
std::string custom_header_and_toc(const ArchiveToc& toc, const std::vector<DataOffset>& offsets);

// pg_dump's integer encoding (a sign byte, then `int_size` bytes of magnitude, little-endian).
void append_archive_int(std::string& out, std::int64_t value, int int_size);
// pg_dump's ReadInt of exactly one such integer (1 + 4..8 bytes). nullopt for a bad sign byte or
// a value beyond an int (pg_dump writes ints).
std::optional<int> parse_archive_int(std::string_view bytes);

}  // namespace slipway::addons::postgres
