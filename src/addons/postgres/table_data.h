// Reading a table's rows straight out of a custom-format archive, so that one large table can be
// loaded over several connections at once (see split_load.h). A TABLE DATA block, at the offset
// the TOC gives, is a block type, the entry's dump id, then length-prefixed chunks of one zlib
// stream (plain text when the archive is not compressed) ended by a 0 length. Its text is COPY
// rows, one per line: a newline inside a value is written as "\n", so every '\n' ends a row.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <istream>
#include <string>
#include <vector>

#include "addons/postgres/archive_toc.h"
#include "common/result.h"

namespace slipway::addons::postgres {

// The header and TOC of the custom archive at `path`, read from as many of its first bytes as
// the TOC needs (up to 256 MiB). kInvalidParams when it is not a custom archive pg_dump 15 wrote.
Result<ArchiveToc> read_custom_toc(const std::filesystem::path& path);

// A TABLE DATA entry whose block the TOC places, with the bytes its block takes in the file
// (up to the next block, or the end of the file).
struct TableDataBlock {
  const ArchiveTocEntry* entry = nullptr;
  std::uint64_t size = 0;
};
std::vector<TableDataBlock> table_data_blocks(const ArchiveToc& toc, std::uint64_t file_size);

// Reads `entry`'s data block from `in` and hands its text to `sink` in pieces of about
// `piece_bytes`, each made of whole rows ending in '\n'. The end-of-data line "\." that pg_dump
// writes after the rows, and the empty lines after it, are left out. kInvalidParams when the block
// is not the entry's, is damaged or its text does not end a row; an error from `sink` stops the
// read and is returned.
Status read_table_rows(std::istream& in, const ArchiveToc& toc, const ArchiveTocEntry& entry,
                       std::size_t piece_bytes, const std::function<Status(std::string&&)>& sink);

}  // namespace slipway::addons::postgres
