// A gzip member (one `.dat.gz` file of a directory-format pg_dump) checked as its bytes arrive,
// in pieces of any size: header, deflate data, then the trailer's CRC-32 and length. What it
// finds is what a custom-format archive needs to carry the same deflate data as a zlib stream
// (archive_convert.h): where the data is, and the Adler-32 of what it inflates to; and, as it
// inflates anyway, how many rows of COPY data that is.
#pragma once

#include <zlib.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "addons/postgres/copy_rows.h"
#include "common/result.h"

namespace slipway::addons::postgres {

inline constexpr std::size_t kGzipTrailerSize = 8;  // CRC-32 and length, little-endian
// How far into a file a gzip header may reach (its name and comment fields) before the file is
// not taken for a dump's data file.
inline constexpr std::size_t kGzipLongestHeader = std::size_t{64} << 10;

// Where the deflate data of a gzip member starts, given the file's first bytes: after the
// 10-byte header and the optional extra field, name, comment and header CRC. nullopt when
// `head` does not start a gzip member (or its header does not end within `head`).
std::optional<std::size_t> gzip_payload_start(std::string_view head);

struct GzipMember {
  std::uint64_t payload_start = 0;  // the deflate data's first byte in the file
  std::uint64_t payload_size = 0;   // the deflate data, up to the 8-byte trailer
  std::uint32_t adler32 = 0;        // of the inflated data
  // A table's data file: the rows of COPY data it inflates to (copy_rows.h); nullopt when the
  // data does not end as pg_dump's COPY data does (a large object's file, say).
  std::optional<std::int64_t> copy_rows;
};

using CheckedFiles = std::map<std::string, GzipMember>;  // by file name

class GzipMemberCheck {
 public:
  GzipMemberCheck();
  ~GzipMemberCheck();
  GzipMemberCheck(const GzipMemberCheck&) = delete;
  GzipMemberCheck& operator=(const GzipMemberCheck&) = delete;

  // The file's next bytes. False once the bytes so far cannot begin one gzip member followed
  // by nothing (and from then on).
  bool feed(std::string_view bytes);
  // Set once everything fed is exactly one whole member whose CRC-32 and length match.
  const std::optional<GzipMember>& member() const { return member_; }
  bool failed() const { return stage_ == Stage::kBad; }

 private:
  enum class Stage { kHeader, kDeflate, kTrailer, kDone, kBad };
  bool fail();
  bool feed_deflate(std::string_view bytes);
  bool feed_trailer(std::string_view bytes);

  Stage stage_ = Stage::kHeader;
  std::string pending_;  // header or trailer bytes so far
  std::uint64_t payload_start_ = 0;
  z_stream z_{};
  bool inflating_ = false;
  std::vector<Bytef> out_;
  uLong adler_;
  uLong crc_;
  std::uint64_t length_ = 0;
  CopyRowCounter rows_;
  std::optional<GzipMember> member_;
};

// Checks a whole file. kInvalidParams naming the file when it is not one whole gzip member with
// a matching CRC and length; kConflict "canceled" when `cancel` becomes true meanwhile.
Result<GzipMember> check_gzip_file(const std::filesystem::path& path,
                                   const std::atomic<bool>* cancel = nullptr);

}  // namespace slipway::addons::postgres
