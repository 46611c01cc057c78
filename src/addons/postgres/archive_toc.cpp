#include "addons/postgres/archive_toc.h"

#include <cstddef>
#include <limits>
#include <optional>

namespace slipway::addons::postgres {
namespace {

constexpr std::string_view kMagic = "PGDMP";
constexpr int kVersionMajor = 1;
constexpr int kVersionMinor = 14;
constexpr int kTimeFields = 7;  // sec, min, hour, mday, mon, year, isdst
// pg_backup_custom.c's offset states.
constexpr std::uint8_t kOffsetNotSet = 1;
constexpr std::uint8_t kOffsetSet = 2;
constexpr std::uint8_t kOffsetNoData = 3;

Error malformed(const std::string& what) {
  return make_error(ErrorCode::kInvalidParams, "not a pg_dump archive TOC: " + what);
}

// Reads toc.dat front to back; every read checks the bytes are there.
class TocReader {
 public:
  explicit TocReader(std::string_view bytes) : bytes_(bytes) {}

  std::size_t position() const { return pos_; }
  std::string_view since(std::size_t start) const { return bytes_.substr(start, pos_ - start); }
  void set_int_size(int size) { int_size_ = size; }

  std::optional<std::uint8_t> byte() {
    if (pos_ >= bytes_.size()) return std::nullopt;
    return static_cast<std::uint8_t>(bytes_[pos_++]);
  }

  std::optional<int> integer() {
    const std::size_t length = 1 + static_cast<std::size_t>(int_size_);
    if (bytes_.size() - pos_ < length) return std::nullopt;
    pos_ += length;
    return parse_archive_int(bytes_.substr(pos_ - length, length));
  }

  // pg_dump's offset: a state byte, then `size` bytes little-endian.
  std::optional<DataOffset> offset(int size) {
    auto state = byte();
    if (!state || *state < kOffsetNotSet || *state > kOffsetNoData) return std::nullopt;
    std::uint64_t value = 0;
    for (int i = 0; i < size; ++i) {
      auto b = byte();
      if (!b) return std::nullopt;
      value |= static_cast<std::uint64_t>(*b) << (8 * i);
    }
    return DataOffset{*state == kOffsetSet, *state == kOffsetSet ? value : 0};
  }

  // pg_dump's ReadStr: a length (-1 for NULL, read here as "" with `null` set), then the bytes.
  std::optional<std::string> string(bool* null = nullptr) {
    auto length = integer();
    if (!length || *length < -1) return std::nullopt;
    if (null) *null = *length == -1;
    if (*length == -1) return std::string();
    if (static_cast<std::size_t>(*length) > bytes_.size() - pos_) return std::nullopt;
    std::string out(bytes_.substr(pos_, static_cast<std::size_t>(*length)));
    pos_ += static_cast<std::size_t>(*length);
    return out;
  }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
  int int_size_ = 4;
};

Result<ArchiveTocEntry> read_entry(TocReader& in, std::uint8_t format, int off_size) {
  ArchiveTocEntry entry;
  const std::size_t start = in.position();
  auto dump_id = in.integer();
  auto had_dumper = in.integer();
  if (!dump_id || *dump_id <= 0 || !had_dumper) return malformed("bad entry header");
  entry.dump_id = *dump_id;
  entry.had_dumper = *had_dumper != 0;
  // tableoid, oid, tag, desc, section, defn, dropStmt, copyStmt, namespace, tablespace,
  // tableam, owner, "false" (the old WITH OIDS flag)
  for (int field = 0; field < 13; ++field) {
    if (field == 4) {
      if (!in.integer()) return malformed("truncated entry " + std::to_string(entry.dump_id));
      continue;
    }
    auto value = in.string();
    if (!value) return malformed("truncated entry " + std::to_string(entry.dump_id));
    if (field == 2) entry.tag = std::move(*value);
    if (field == 3) entry.desc = std::move(*value);
    if (field == 5) entry.defn = std::move(*value);
    if (field == 7) entry.copy_stmt = std::move(*value);
    if (field == 8) entry.schema = std::move(*value);
  }
  for (;;) {  // dependencies: dump ids as strings, ended by a NULL
    bool null = false;
    auto dependency = in.string(&null);
    if (!dependency) return malformed("truncated dependencies of " + std::to_string(entry.dump_id));
    if (null) break;
  }
  entry.body = std::string(in.since(start));
  if (format == kArchiveCustom) {
    auto data = in.offset(off_size);
    if (!data) return malformed("entry " + std::to_string(entry.dump_id) + " has no data offset");
    entry.data = *data;
    return entry;
  }
  auto filename = in.string();
  if (!filename) return malformed("entry " + std::to_string(entry.dump_id) + " has no file name");
  entry.filename = *filename;
  return entry;
}

}  // namespace

std::optional<int> parse_archive_int(std::string_view bytes) {
  if (bytes.size() < 5 || bytes.size() > 9) return std::nullopt;
  const auto sign = static_cast<std::uint8_t>(bytes[0]);
  if (sign > 1) return std::nullopt;
  std::uint64_t magnitude = 0;
  for (std::size_t i = 1; i < bytes.size(); ++i) {
    const auto b = static_cast<std::uint8_t>(bytes[i]);
    if (i > 4 && b != 0) return std::nullopt;
    magnitude |= static_cast<std::uint64_t>(b) << (8 * (i - 1));
  }
  if (magnitude > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
    return std::nullopt;
  }
  const int value = static_cast<int>(magnitude);
  return sign == 1 ? -value : value;
}

void append_archive_int(std::string& out, std::int64_t value, int int_size) {
  out.push_back(value < 0 ? '\1' : '\0');
  auto magnitude = static_cast<std::uint64_t>(value < 0 ? -value : value);
  for (int i = 0; i < int_size; ++i) {
    out.push_back(static_cast<char>(magnitude & 0xFF));
    magnitude >>= 8;
  }
}

namespace {

// Reads the header and entries of either format; `rest` is set to the bytes after the TOC.
Result<ArchiveToc> parse_toc(std::string_view bytes, std::uint8_t expected_format,
                             std::string_view* rest) {
  if (!bytes.starts_with(kMagic)) return malformed("no PGDMP magic");
  TocReader in(bytes.substr(kMagic.size()));
  auto major = in.byte();
  auto minor = in.byte();
  auto revision = in.byte();
  auto int_size = in.byte();
  auto off_size = in.byte();
  auto format = in.byte();
  if (!format) return malformed("truncated header");
  if (*major != kVersionMajor || *minor != kVersionMinor) {
    return malformed("archive version " + std::to_string(*major) + "." + std::to_string(*minor) +
                     " (only PostgreSQL 15's 1.14 is read)");
  }
  if (*int_size < 4 || *int_size > 8 || *off_size < 4 || *off_size > 8) {
    return malformed("unusual integer or offset size");
  }
  if (*format != expected_format) {
    return malformed(expected_format == kArchiveDirectory ? "not the directory format"
                                                          : "not the custom format");
  }
  (void)revision;
  ArchiveToc toc;
  toc.int_size = *int_size;
  toc.off_size = *off_size;
  in.set_int_size(toc.int_size);
  // The header up to the format byte, which the custom archive changes.
  toc.header_head = std::string(bytes.substr(0, kMagic.size() + 5));

  const std::size_t tail_start = in.position();
  auto compression = in.integer();
  // -1 is zlib's default level, what pg_dump -Fc writes when no -Z is given.
  if (!compression || *compression < -1 || *compression > 9) {
    return malformed("bad compression level");
  }
  toc.compression = *compression;
  for (int i = 0; i < kTimeFields; ++i) {
    if (!in.integer()) return malformed("truncated header");
  }
  for (int i = 0; i < 3; ++i) {  // database name, server version, pg_dump version
    if (!in.string()) return malformed("truncated header");
  }
  toc.header_tail = std::string(in.since(tail_start));

  auto count = in.integer();
  if (!count || *count < 0) return malformed("bad entry count");
  for (int i = 0; i < *count; ++i) {
    auto entry = read_entry(in, *format, toc.off_size);
    if (!entry) return entry.error();
    toc.entries.push_back(std::move(*entry));
  }
  *rest = bytes.substr(kMagic.size() + in.position());
  return toc;
}

}  // namespace

Result<ArchiveToc> parse_directory_toc(std::string_view bytes) {
  std::string_view rest;
  auto toc = parse_toc(bytes, kArchiveDirectory, &rest);
  if (toc && !rest.empty()) return malformed("bytes after the last entry");
  return toc;
}

Result<ArchiveToc> parse_custom_toc(std::string_view bytes) {
  std::string_view rest;
  return parse_toc(bytes, kArchiveCustom, &rest);
}

std::string custom_header_and_toc(const ArchiveToc& toc, const std::vector<DataOffset>& offsets) {
  std::string out = toc.header_head;
  out.push_back(static_cast<char>(kArchiveCustom));
  out += toc.header_tail;
  append_archive_int(out, static_cast<std::int64_t>(toc.entries.size()), toc.int_size);
  for (std::size_t i = 0; i < toc.entries.size(); ++i) {
    out += toc.entries[i].body;
    const DataOffset where = i < offsets.size() ? offsets[i] : DataOffset{};
    out.push_back(static_cast<char>(where.has_data ? kOffsetSet : kOffsetNoData));
    std::uint64_t offset = where.has_data ? where.offset : 0;
    for (int b = 0; b < toc.off_size; ++b) {
      out.push_back(static_cast<char>(offset & 0xFF));
      offset >>= 8;
    }
  }
  return out;
}

}  // namespace slipway::addons::postgres
