#include "addons/postgres/archive_convert.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <mutex>
#include <thread>

#include "addons/postgres/archive_toc.h"
#include "common/fs.h"

namespace slipway::addons::postgres {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kChunk = std::size_t{1} << 20;  // bytes of zlib stream per archive chunk
constexpr std::size_t kFlushAt = std::size_t{4} << 20;
constexpr std::uint8_t kBlockData = 1;   // pg_backup_archiver.h's BLK_DATA
constexpr std::uint8_t kBlockBlobs = 3;  // BLK_BLOBS
// A zlib stream's header for deflate with a 32 KiB window (what gzip members use), "fastest"
// level bits, as pg_dump -Z1 writes it; the check bits make 0x7801 a multiple of 31.
constexpr std::array<char, 2> kZlibHeader = {'\x78', '\x01'};

Error bad_dump(const std::string& what) {
  return make_error(ErrorCode::kInvalidParams, "the directory dump is unusable: " + what);
}

Error canceled() { return make_error(ErrorCode::kConflict, "canceled"); }

// One file whose bytes become one stream of chunks in the archive (a table's data or a blob).
struct StreamFile {
  fs::path path;
  bool compressed = false;
  std::uint32_t blob_oid = 0;
  std::uint64_t payload_start = 0;  // deflate data's first byte (compressed)
  std::uint64_t payload_size = 0;   // deflate data (compressed) or the whole file
  std::uint64_t stream_size = 0;    // bytes of the chunked stream in the archive
};

struct DataBlock {
  std::size_t entry = 0;
  int dump_id = 0;
  bool blobs = false;
  std::vector<StreamFile> streams;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::optional<std::int64_t> copy_rows;  // set as the block is written (its last stream's)
};

std::uint64_t chunked_size(std::uint64_t stream_size, int int_size) {
  const std::uint64_t chunks = (stream_size + kChunk - 1) / kChunk;
  return chunks * (1 + static_cast<std::uint64_t>(int_size)) + stream_size;
}

std::uint64_t block_size(const DataBlock& block, int int_size) {
  const std::uint64_t an_int = 1 + static_cast<std::uint64_t>(int_size);
  std::uint64_t size = 1 + an_int;  // block type, dump id
  for (const auto& stream : block.streams) {
    if (block.blobs) size += an_int;                              // the blob's oid
    size += chunked_size(stream.stream_size, int_size) + an_int;  // chunks, 0
  }
  if (block.blobs) size += an_int;  // oid 0: no more blobs
  return size;
}

Result<std::string> read_dump_file(const fs::path& path) {
  auto text = read_file(path);
  if (!text) return bad_dump("cannot read " + path.filename().string());
  return text;
}

Result<StreamFile> describe_stream(const fs::path& path, bool compressed) {
  StreamFile stream{path, compressed};
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return bad_dump("missing data file " + path.filename().string());
  if (!compressed) {
    stream.payload_size = size;
    stream.stream_size = size;
    return stream;
  }
  std::string head(std::min<std::uintmax_t>(size, kGzipLongestHeader), '\0');
  std::ifstream in(path, std::ios::binary);
  if (!in.read(head.data(), static_cast<std::streamsize>(head.size()))) {
    return bad_dump("cannot read " + path.filename().string());
  }
  auto start = gzip_payload_start(head);
  if (!start || size < *start + kGzipTrailerSize) {
    return bad_dump(path.filename().string() + " is not a gzip file");
  }
  stream.payload_start = *start;
  stream.payload_size = size - *start - kGzipTrailerSize;
  stream.stream_size = kZlibHeader.size() + stream.payload_size + 4;  // + Adler-32
  return stream;
}

bool is_table_data_file(std::string_view name) {
  if (!name.ends_with(".dat") || name.size() == 4) return false;
  name.remove_suffix(4);
  return std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// What each TOC entry with data reads from, in TOC order.
Result<std::vector<DataBlock>> plan_blocks(const fs::path& dir, const ArchiveToc& toc) {
  const bool compressed = toc.compression != 0;
  const std::string suffix = compressed ? ".gz" : "";
  std::vector<DataBlock> blocks;
  for (std::size_t i = 0; i < toc.entries.size(); ++i) {
    const auto& entry = toc.entries[i];
    if (!entry.had_dumper || entry.filename.empty()) continue;
    DataBlock block{i, entry.dump_id, entry.desc == "BLOBS"};
    if (block.blobs) {
      if (entry.filename != "blobs.toc") return bad_dump("unexpected BLOBS file " + entry.filename);
      auto text = read_dump_file(dir / entry.filename);
      if (!text) return text.error();
      auto files = parse_blobs_toc(*text);
      if (!files) return files.error();
      for (const auto& file : *files) {
        auto stream = describe_stream(dir / (file.filename + suffix), compressed);
        if (!stream) return stream.error();
        stream->blob_oid = file.oid;
        block.streams.push_back(std::move(*stream));
      }
    } else {
      if (!is_table_data_file(entry.filename)) {
        return bad_dump("unexpected data file name " + entry.filename);
      }
      auto stream = describe_stream(dir / (entry.filename + suffix), compressed);
      if (!stream) return stream.error();
      block.streams.push_back(std::move(*stream));
    }
    block.size = block_size(block, toc.int_size);
    blocks.push_back(std::move(block));
  }
  return blocks;
}

Status write_all(int fd, std::string_view bytes, std::uint64_t offset) {
  while (!bytes.empty()) {
    const ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(ErrorCode::kInternal, "cannot write the archive");
    bytes.remove_prefix(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

// Appends one data block's bytes at its offset, in order, buffered.
class BlockWriter {
 public:
  BlockWriter(int fd, std::uint64_t offset, int int_size)
      : fd_(fd), offset_(offset), int_size_(int_size) {}

  Status put(std::string_view bytes) {
    buffer_.append(bytes);
    return buffer_.size() >= kFlushAt ? flush() : Status{};
  }
  Status put_int(std::int64_t value) {
    std::string encoded;
    append_archive_int(encoded, value, int_size_);
    return put(encoded);
  }
  Status flush() {
    if (auto s = write_all(fd_, buffer_, offset_); !s) return s;
    offset_ += buffer_.size();
    buffer_.clear();
    return {};
  }
  std::uint64_t end() const { return offset_ + buffer_.size(); }

 private:
  int fd_;
  std::uint64_t offset_;
  int int_size_;
  std::string buffer_;
};

// Cuts a stream into length-prefixed chunks of kChunk bytes (the last one shorter).
class ChunkedStream {
 public:
  explicit ChunkedStream(BlockWriter& out) : out_(out) {}

  Status feed(std::string_view bytes) {
    while (!bytes.empty()) {
      const std::size_t take = std::min(kChunk - pending_.size(), bytes.size());
      pending_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (pending_.size() == kChunk) {
        if (auto s = emit(); !s) return s;
      }
    }
    return {};
  }
  // The last chunk, then the 0 that ends the stream.
  Status finish() {
    if (!pending_.empty()) {
      if (auto s = emit(); !s) return s;
    }
    return out_.put_int(0);
  }

 private:
  Status emit() {
    if (auto s = out_.put_int(static_cast<std::int64_t>(pending_.size())); !s) return s;
    if (auto s = out_.put(pending_); !s) return s;
    pending_.clear();
    return {};
  }

  BlockWriter& out_;
  std::string pending_;
};

// What a compressed file holds, from the follower or else checked now (inflated once).
Result<GzipMember> member_of(const StreamFile& stream, const CheckedFiles* checked,
                             const std::atomic<bool>* cancel) {
  const std::string name = stream.path.filename().string();
  auto matches = [&](const GzipMember& m) {
    return m.payload_start == stream.payload_start && m.payload_size == stream.payload_size;
  };
  if (checked) {
    const auto known = checked->find(name);
    if (known != checked->end() && matches(known->second)) return known->second;
  }
  auto member = check_gzip_file(stream.path, cancel);
  if (!member) {
    if (member.error().code == ErrorCode::kConflict) return member.error();
    return bad_dump(member.error().message);
  }
  if (!matches(*member)) return bad_dump(name + " is corrupt (data after its gzip member)");
  return member;
}

// Copies one stream; returns the rows of COPY data it holds, if it is that.
Result<std::optional<std::int64_t>> copy_stream(const StreamFile& stream, ChunkedStream& out,
                                                const CheckedFiles* checked,
                                                const std::atomic<bool>* cancel) {
  std::optional<GzipMember> member;
  CopyRowCounter plain_rows;  // an uncompressed file's, counted as it is copied
  if (stream.compressed) {
    auto found = member_of(stream, checked, cancel);
    if (!found) return found.error();
    member = *found;
    if (auto s = out.feed({kZlibHeader.data(), kZlibHeader.size()}); !s) return s.error();
  }
  const std::string name = stream.path.filename().string();
  std::ifstream in(stream.path, std::ios::binary);
  if (!in) return bad_dump("cannot read " + name);
  in.seekg(static_cast<std::streamoff>(stream.payload_start));
  std::string buffer(kChunk, '\0');
  std::uint64_t left = stream.payload_size;
  while (left > 0) {
    if (cancel && cancel->load()) return canceled();
    const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
    if (!in.read(buffer.data(), static_cast<std::streamsize>(take))) {
      return bad_dump(name + " changed while it was read");
    }
    if (auto s = out.feed({buffer.data(), take}); !s) return s.error();
    if (!member) plain_rows.feed({buffer.data(), take});
    left -= take;
  }
  if (member) {
    std::string adler(4, '\0');  // the zlib stream's trailer, big-endian
    for (int i = 0; i < 4; ++i)
      adler[i] = static_cast<char>((member->adler32 >> (24 - 8 * i)) & 0xFF);
    if (auto s = out.feed(adler); !s) return s.error();
  }
  if (auto s = out.finish(); !s) return s.error();
  return member ? member->copy_rows : plain_rows.rows();
}

Status write_block(int fd, DataBlock& block, int int_size, const CheckedFiles* checked,
                   const std::atomic<bool>* cancel) {
  BlockWriter out(fd, block.offset, int_size);
  std::string head(1, static_cast<char>(block.blobs ? kBlockBlobs : kBlockData));
  append_archive_int(head, block.dump_id, int_size);
  if (auto s = out.put(head); !s) return s;
  for (const auto& stream : block.streams) {
    if (block.blobs) {
      // pg_dump writes an Oid through its int parameter: above 2^31, as a negative int.
      if (auto s = out.put_int(static_cast<std::int32_t>(stream.blob_oid)); !s) return s;
    }
    ChunkedStream chunks(out);
    auto rows = copy_stream(stream, chunks, checked, cancel);
    if (!rows) return rows.error();
    block.copy_rows = *rows;
  }
  if (block.blobs) {
    if (auto s = out.put_int(0); !s) return s;
  }
  if (out.end() != block.offset + block.size) {
    return bad_dump("a data file changed size while it was read");
  }
  return out.flush();
}

// Writes the blocks with `jobs` threads, the largest first.
Status write_blocks(int fd, std::vector<DataBlock>& blocks, int int_size, int jobs,
                    const CheckedFiles* checked, const std::atomic<bool>* cancel) {
  std::vector<DataBlock*> order;
  order.reserve(blocks.size());
  for (auto& block : blocks) order.push_back(&block);
  std::sort(order.begin(), order.end(),
            [](const DataBlock* a, const DataBlock* b) { return a->size > b->size; });
  std::mutex mutex;
  std::size_t next = 0;
  Status first_error;
  auto work = [&] {
    for (;;) {
      DataBlock* block = nullptr;
      {
        const std::lock_guard lock(mutex);
        if (next == order.size() || !first_error.ok()) return;
        block = order[next++];
      }
      if (auto s = write_block(fd, *block, int_size, checked, cancel); !s) {
        const std::lock_guard lock(mutex);
        if (first_error.ok()) first_error = s;
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  const int count = std::clamp(jobs, 1, static_cast<int>(std::max<std::size_t>(order.size(), 1)));
  for (int i = 1; i < count; ++i) threads.emplace_back(work);
  work();
  for (auto& thread : threads) thread.join();
  return first_error;
}

}  // namespace

Result<std::vector<BlobFile>> parse_blobs_toc(std::string_view text) {
  std::vector<BlobFile> files;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    if (end == std::string_view::npos) return bad_dump("blobs.toc does not end with a newline");
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    const std::size_t space = line.find(' ');
    BlobFile file;
    const std::string_view digits = line.substr(0, space);
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), file.oid);
    if (space == std::string_view::npos || digits.empty() || ec != std::errc() ||
        ptr != digits.data() + digits.size() || file.oid == 0 ||
        line.substr(space + 1) != "blob_" + std::string(digits) + ".dat") {
      return bad_dump("unexpected line in blobs.toc");
    }
    file.filename = std::string(line.substr(space + 1));
    files.push_back(std::move(file));
  }
  return files;
}

Result<std::vector<DumpedTable>> directory_dump_to_custom(const fs::path& dir, const fs::path& out,
                                                          int jobs, const std::atomic<bool>* cancel,
                                                          const CheckedFiles* checked) {
  auto toc_bytes = read_dump_file(dir / "toc.dat");
  if (!toc_bytes) return toc_bytes.error();
  auto toc = parse_directory_toc(*toc_bytes);
  if (!toc) return toc.error();
  auto blocks = plan_blocks(dir, *toc);
  if (!blocks) return blocks.error();

  std::vector<DataOffset> offsets(toc->entries.size());
  std::uint64_t position = custom_header_and_toc(*toc, offsets).size();
  for (auto& block : *blocks) {
    block.offset = position;
    offsets[block.entry] = {true, position};
    position += block.size;
  }

  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(ErrorCode::kInternal, "cannot create " + out.string());
  Status written = write_all(fd, custom_header_and_toc(*toc, offsets), 0);
  if (written) written = write_blocks(fd, *blocks, toc->int_size, jobs, checked, cancel);
  if (::close(fd) != 0 && written) {
    written = make_error(ErrorCode::kInternal, "cannot write the archive");
  }
  if (!written) {
    std::error_code ec;
    fs::remove(out, ec);
    return written.error();
  }
  std::vector<DumpedTable> tables;
  for (const auto& block : *blocks) {
    const auto& entry = toc->entries[block.entry];
    if (entry.desc != "TABLE DATA") continue;
    tables.push_back({entry.schema, entry.tag, block.copy_rows});
  }
  return tables;
}

}  // namespace slipway::addons::postgres
