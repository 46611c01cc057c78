#include "addons/postgres/table_data.h"

#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <optional>

namespace slipway::addons::postgres {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kFirstTocRead = std::size_t{1} << 20;
constexpr std::size_t kMaxTocRead = std::size_t{256} << 20;
constexpr std::size_t kFormatByte = 10;  // "PGDMP", 3 version bytes, int and offset sizes
constexpr std::uint8_t kBlockData = 1;   // pg_backup_archiver.h's BLK_DATA
constexpr std::size_t kReadPiece = std::size_t{1} << 20;
constexpr std::size_t kInflateBuffer = std::size_t{256} << 10;
constexpr std::size_t kHoldBack = 64;  // bytes kept back for the end-of-data line

Error damaged(const ArchiveTocEntry& entry, const std::string& what) {
  return make_error(ErrorCode::kInvalidParams, "the data of " + entry.schema + "." + entry.tag +
                                                   " in the archive is damaged: " + what);
}

// One pg_dump integer from a stream (see parse_archive_int).
std::optional<int> read_int(std::istream& in, int int_size) {
  std::string bytes(1 + static_cast<std::size_t>(int_size), '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) return std::nullopt;
  return parse_archive_int(bytes);
}

// Gathers the block's text and passes it on in whole rows. pg_dump ends a table's rows with
// "\.\n\n\n" (the end-of-data line, then two empty ones); the last bytes are kept back until
// the end so that it can be recognised and left out. (Were it ever passed on, the server would
// end that session's COPY there and discard the empty lines after it.)
class RowCutter {
 public:
  RowCutter(std::size_t piece_bytes, const std::function<Status(std::string&&)>& sink)
      : piece_bytes_(std::max<std::size_t>(piece_bytes, 1)), sink_(sink) {}

  Status add(const char* bytes, std::size_t n) {
    pending_.append(bytes, n);
    if (pending_.size() < piece_bytes_ + kHoldBack) return {};
    const std::size_t cut = pending_.rfind('\n', pending_.size() - kHoldBack - 1);
    if (cut == std::string::npos) return {};
    std::string piece = std::move(pending_);
    pending_ = piece.substr(cut + 1);
    piece.resize(cut + 1);
    return sink_(std::move(piece));
  }

  // False when the text does not end a row.
  Result<bool> finish() {
    if (pending_.empty()) return true;
    if (pending_.back() != '\n') return false;
    std::size_t end = pending_.size();
    while (end > 0 && pending_[end - 1] == '\n') --end;
    if (end >= 2 && pending_.compare(end - 2, 2, "\\.") == 0 &&
        (end == 2 || pending_[end - 3] == '\n')) {
      pending_.erase(end - 2);
    }
    if (pending_.empty()) return true;
    if (auto s = sink_(std::move(pending_)); !s) return s.error();
    return true;
  }

 private:
  std::size_t piece_bytes_;
  const std::function<Status(std::string&&)>& sink_;
  std::string pending_;
};

class Inflater {
 public:
  Inflater() { ready_ = inflateInit(&z_) == Z_OK; }
  ~Inflater() {
    if (ready_) inflateEnd(&z_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Inflates `in` into `out`; false when the stream is damaged or has bytes after its end.
  bool feed(const char* in, std::size_t n, RowCutter& out, Status& sink_status) {
    if (!ready_ || (ended_ && n > 0)) return false;
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
    z_.avail_in = static_cast<uInt>(n);
    while (z_.avail_in > 0 && !ended_) {
      z_.next_out = reinterpret_cast<Bytef*>(buffer_.data());
      z_.avail_out = static_cast<uInt>(buffer_.size());
      const int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) return false;
      ended_ = rc == Z_STREAM_END;
      sink_status = out.add(buffer_.data(), buffer_.size() - z_.avail_out);
      if (!sink_status) return true;
    }
    return z_.avail_in == 0;
  }
  bool ended() const { return ended_; }

 private:
  z_stream z_{};
  bool ready_ = false;
  bool ended_ = false;
  std::vector<char> buffer_ = std::vector<char>(kInflateBuffer);
};

}  // namespace

Result<ArchiveToc> read_custom_toc(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (!in || ec) return make_error(ErrorCode::kInternal, "cannot read the archive");
  std::size_t want = std::min<std::uintmax_t>(size, kFirstTocRead);
  std::string head;
  for (;;) {
    head.resize(want);
    in.seekg(0);
    if (!in.read(head.data(), static_cast<std::streamsize>(want))) {
      return make_error(ErrorCode::kInternal, "cannot read the archive");
    }
    if (head.size() > kFormatByte && head[kFormatByte] != static_cast<char>(kArchiveCustom)) {
      return make_error(ErrorCode::kInvalidParams, "not a custom-format archive");
    }
    auto toc = parse_custom_toc(head);
    if (toc || want == size || want >= kMaxTocRead) return toc;
    want = std::min<std::uintmax_t>({size, want * 4, kMaxTocRead});
  }
}

std::vector<TableDataBlock> table_data_blocks(const ArchiveToc& toc, std::uint64_t file_size) {
  std::vector<const ArchiveTocEntry*> placed;
  for (const auto& entry : toc.entries) {
    if (entry.data.has_data && entry.data.offset < file_size) placed.push_back(&entry);
  }
  std::sort(placed.begin(), placed.end(),
            [](const auto* a, const auto* b) { return a->data.offset < b->data.offset; });
  std::vector<TableDataBlock> blocks;
  for (std::size_t i = 0; i < placed.size(); ++i) {
    const auto* entry = placed[i];
    if (entry->desc != "TABLE DATA" || entry->copy_stmt.empty()) continue;
    const std::uint64_t end = i + 1 < placed.size() ? placed[i + 1]->data.offset : file_size;
    blocks.push_back({entry, end - entry->data.offset});
  }
  return blocks;
}

Status read_table_rows(std::istream& in, const ArchiveToc& toc, const ArchiveTocEntry& entry,
                       std::size_t piece_bytes, const std::function<Status(std::string&&)>& sink) {
  if (!entry.data.has_data) return damaged(entry, "the TOC does not say where it is");
  in.clear();
  in.seekg(static_cast<std::streamoff>(entry.data.offset));
  char type = 0;
  if (!in.get(type) || static_cast<std::uint8_t>(type) != kBlockData) {
    return damaged(entry, "no data block at its offset");
  }
  auto id = read_int(in, toc.int_size);
  if (!id || *id != entry.dump_id) return damaged(entry, "the block is another entry's");
  RowCutter rows(piece_bytes, sink);
  std::optional<Inflater> inflater;
  if (toc.compression != 0) inflater.emplace();
  std::string buffer(kReadPiece, '\0');
  for (;;) {
    auto length = read_int(in, toc.int_size);
    if (!length || *length < 0) return damaged(entry, "a chunk's length is unreadable");
    if (*length == 0) break;
    auto left = static_cast<std::uint64_t>(*length);
    while (left > 0) {
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
      if (!in.read(buffer.data(), static_cast<std::streamsize>(take))) {
        return damaged(entry, "it ends early");
      }
      left -= take;
      if (!inflater) {
        if (auto s = rows.add(buffer.data(), take); !s) return s;
        continue;
      }
      Status sink_status;
      if (!inflater->feed(buffer.data(), take, rows, sink_status)) {
        return damaged(entry, "its compressed data does not inflate");
      }
      if (!sink_status) return sink_status;
    }
  }
  if (inflater && !inflater->ended()) return damaged(entry, "its compressed data ends early");
  auto whole = rows.finish();
  if (!whole) return whole.error();
  if (!*whole) return damaged(entry, "its last row is cut short");
  return {};
}

}  // namespace slipway::addons::postgres
