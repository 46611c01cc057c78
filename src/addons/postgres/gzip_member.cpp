#include "addons/postgres/gzip_member.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace slipway::addons::postgres {
namespace {

constexpr std::size_t kGzipHeader = 10;
constexpr std::size_t kInflateBuffer = std::size_t{256} << 10;
constexpr std::size_t kReadPiece = std::size_t{1} << 20;

std::uint32_t le32(std::string_view bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(bytes[at + i]);
  return v;
}

}  // namespace

std::optional<std::size_t> gzip_payload_start(std::string_view head) {
  constexpr std::uint8_t kText = 1, kHeaderCrc = 2, kExtra = 4, kName = 8, kComment = 16;
  if (head.size() < kGzipHeader || head[0] != '\x1f' || head[1] != '\x8b' || head[2] != 8) {
    return std::nullopt;
  }
  const auto flags = static_cast<std::uint8_t>(head[3]);
  if ((flags & ~(kText | kHeaderCrc | kExtra | kName | kComment)) != 0) return std::nullopt;
  std::size_t pos = kGzipHeader;
  if (flags & kExtra) {
    if (head.size() < pos + 2) return std::nullopt;
    const std::size_t length =
        static_cast<std::uint8_t>(head[pos]) |
        (static_cast<std::size_t>(static_cast<std::uint8_t>(head[pos + 1])) << 8);
    pos += 2 + length;
  }
  for (const std::uint8_t field : {kName, kComment}) {
    if (!(flags & field)) continue;
    const std::size_t end = pos < head.size() ? head.find('\0', pos) : std::string_view::npos;
    if (end == std::string_view::npos) return std::nullopt;
    pos = end + 1;
  }
  if (flags & kHeaderCrc) pos += 2;
  if (pos > head.size()) return std::nullopt;
  return pos;
}

GzipMemberCheck::GzipMemberCheck() : adler_(adler32(0L, Z_NULL, 0)), crc_(crc32(0L, Z_NULL, 0)) {}

GzipMemberCheck::~GzipMemberCheck() {
  if (inflating_) inflateEnd(&z_);
}

bool GzipMemberCheck::fail() {
  stage_ = Stage::kBad;
  member_.reset();
  if (inflating_) inflateEnd(&z_);
  inflating_ = false;
  out_ = {};
  return false;
}

bool GzipMemberCheck::feed(std::string_view bytes) {
  switch (stage_) {
    case Stage::kHeader: {
      pending_.append(bytes);
      const auto start = gzip_payload_start(pending_);
      if (!start) return pending_.size() < kGzipLongestHeader || fail();  // the header may go on
      if (inflateInit2(&z_, -MAX_WBITS) != Z_OK) return fail();
      inflating_ = true;
      out_.resize(kInflateBuffer);
      payload_start_ = *start;
      stage_ = Stage::kDeflate;
      const std::string rest = pending_.substr(*start);
      pending_.clear();
      return feed_deflate(rest);
    }
    case Stage::kDeflate:
      return feed_deflate(bytes);
    case Stage::kTrailer:
      return feed_trailer(bytes);
    case Stage::kDone:
      return bytes.empty() || fail();  // one member, then nothing
    case Stage::kBad:
      return false;
  }
  return false;
}

bool GzipMemberCheck::feed_deflate(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto piece = std::min<std::size_t>(bytes.size(), kReadPiece);
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z_.avail_in = static_cast<uInt>(piece);
    int rc = Z_OK;
    while (z_.avail_in > 0 && rc != Z_STREAM_END) {
      z_.next_out = out_.data();
      z_.avail_out = static_cast<uInt>(out_.size());
      rc = inflate(&z_, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) return fail();
      const auto produced = static_cast<uInt>(out_.size() - z_.avail_out);
      adler_ = adler32(adler_, out_.data(), produced);
      crc_ = crc32(crc_, out_.data(), produced);
      rows_.feed({reinterpret_cast<const char*>(out_.data()), produced});
      length_ += produced;
    }
    bytes.remove_prefix(piece - z_.avail_in);
    if (rc == Z_STREAM_END) {
      stage_ = Stage::kTrailer;
      return feed_trailer(bytes);
    }
  }
  return true;
}

bool GzipMemberCheck::feed_trailer(std::string_view bytes) {
  pending_.append(bytes);
  if (pending_.size() < kGzipTrailerSize) return true;
  if (pending_.size() > kGzipTrailerSize || le32(pending_, 0) != crc_ ||
      le32(pending_, 4) != static_cast<std::uint32_t>(length_)) {
    return fail();
  }
  member_ =
      GzipMember{payload_start_, z_.total_in, static_cast<std::uint32_t>(adler_), rows_.rows()};
  stage_ = Stage::kDone;
  inflateEnd(&z_);
  inflating_ = false;
  out_ = {};
  return true;
}

Result<GzipMember> check_gzip_file(const std::filesystem::path& path,
                                   const std::atomic<bool>* cancel) {
  const std::string name = path.filename().string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::kInvalidParams, "cannot read " + name);
  GzipMemberCheck check;
  std::string buffer(kReadPiece, '\0');
  bool readable = true;
  for (;;) {
    if (cancel && cancel->load()) {
      ::close(fd);
      return make_error(ErrorCode::kConflict, "canceled");
    }
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) readable = false;
    if (n <= 0 || !check.feed({buffer.data(), static_cast<std::size_t>(n)})) break;
  }
  ::close(fd);
  if (!readable) return make_error(ErrorCode::kInvalidParams, "cannot read " + name);
  if (!check.member()) {
    return make_error(ErrorCode::kInvalidParams,
                      name + " is corrupt (not one gzip member whose CRC and length match)");
  }
  return *check.member();
}

}  // namespace slipway::addons::postgres
