// Turns a directory-format pg_dump (`pg_dump -Fd -j N`, whose tables are dumped in parallel)
// into the single custom-format archive backups are stored and downloaded as, without
// compressing anything again: each data file's gzip member holds a deflate stream, which a
// custom archive stores as a zlib stream, so only the 10-byte wrapper changes (and the zlib
// checksum, computed by inflating the data once). Every gzip member's CRC and length are
// checked on the way, so a damaged dump file fails the conversion.
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

#include "common/result.h"

namespace slipway::addons::postgres {

// Where the deflate data of a gzip member starts, given the file's first bytes: after the
// 10-byte header and the optional extra field, name, comment and header CRC. nullopt when
// `head` does not start a gzip member (or its header does not end within `head`).
std::optional<std::size_t> gzip_payload_start(std::string_view head);

// One line of a directory dump's blobs.toc: "<oid> blob_<oid>.dat".
struct BlobFile {
  std::uint32_t oid = 0;
  std::string filename;
};
// kInvalidParams for any line that is not exactly that (the names become paths).
Result<std::vector<BlobFile>> parse_blobs_toc(std::string_view text);

// Writes the directory dump `dir` as a custom-format archive `out` (replaced if it exists;
// removed again on failure). kConflict "canceled" when `cancel` becomes true meanwhile.
Status directory_dump_to_custom(const std::filesystem::path& dir, const std::filesystem::path& out,
                                int jobs, const std::atomic<bool>* cancel = nullptr);

}  // namespace slipway::addons::postgres
