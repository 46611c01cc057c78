#include "common/tzif.h"

#include <algorithm>
#include <string>

namespace slipway {
namespace {

Error bad(std::string_view why) {
  return make_error(ErrorCode::kInvalidParams, "Invalid TZif data: " + std::string(why) + ".");
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  std::size_t left() const { return data_.size() - pos_; }
  bool skip(std::size_t n) {
    if (left() < n) return false;
    pos_ += n;
    return true;
  }
  std::string_view take(std::size_t n) {
    const auto out = data_.substr(pos_, n);
    pos_ += out.size();
    return out;
  }
  std::uint64_t big_endian(std::size_t width) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) {
      v = (v << 8) | static_cast<unsigned char>(data_[pos_++]);
    }
    return v;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

struct Header {
  char version = 0;
  std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

  // Bytes of the data block that follows, with `time_size`-byte times (4 in v1, 8 after).
  std::uint64_t block_size(std::uint64_t time_size) const {
    return timecnt * time_size + timecnt + typecnt * 6ULL + charcnt + leapcnt * (time_size + 4) +
           isstdcnt + isutcnt;
  }
};

std::optional<Header> read_header(Reader& r) {
  if (r.left() < 44 || r.take(4) != "TZif") return std::nullopt;
  Header h;
  h.version = r.take(1)[0];
  r.skip(15);
  h.isutcnt = static_cast<std::uint32_t>(r.big_endian(4));
  h.isstdcnt = static_cast<std::uint32_t>(r.big_endian(4));
  h.leapcnt = static_cast<std::uint32_t>(r.big_endian(4));
  h.timecnt = static_cast<std::uint32_t>(r.big_endian(4));
  h.typecnt = static_cast<std::uint32_t>(r.big_endian(4));
  h.charcnt = static_cast<std::uint32_t>(r.big_endian(4));
  return h;
}

}  // namespace

Result<TimeZone> TimeZone::from_tzif(std::string_view bytes) {
  Reader r(bytes);
  const auto v1 = read_header(r);
  if (!v1) return bad("not a TZif file");
  if (v1->version < '2') return bad("version 1 files are not supported");
  if (!r.skip(v1->block_size(4))) return bad("truncated version 1 data");
  const auto h = read_header(r);
  if (!h || h->version != v1->version) return bad("missing version 2 header");
  if (h->leapcnt != 0) return bad("leap-second files are not supported");
  if (h->typecnt == 0 || h->typecnt > 256) return bad("bad number of local time types");
  if ((h->isstdcnt != 0 && h->isstdcnt != h->typecnt) ||
      (h->isutcnt != 0 && h->isutcnt != h->typecnt) || h->charcnt == 0) {
    return bad("inconsistent counts");
  }
  if (r.left() < h->block_size(8)) return bad("truncated data");

  TimeZone zone;
  zone.transitions_.reserve(h->timecnt);
  for (std::uint32_t i = 0; i < h->timecnt; ++i) {
    const auto t = static_cast<std::int64_t>(r.big_endian(8));
    if (!zone.transitions_.empty() && t <= zone.transitions_.back()) {
      return bad("transitions out of order");
    }
    zone.transitions_.push_back(t);
  }
  for (std::uint32_t i = 0; i < h->timecnt; ++i) {
    const auto type = static_cast<std::uint8_t>(r.big_endian(1));
    if (type >= h->typecnt) return bad("transition to an unknown type");
    zone.type_of_.push_back(type);
  }
  for (std::uint32_t i = 0; i < h->typecnt; ++i) {
    const auto utoff = static_cast<std::int32_t>(static_cast<std::uint32_t>(r.big_endian(4)));
    const auto isdst = r.big_endian(1);
    const auto abbr = r.big_endian(1);
    // RFC 8536: offsets within (-25h, 26h); a valid abbreviation index.
    if (utoff <= -25 * 3600 || utoff >= 26 * 3600 || isdst > 1 || abbr >= h->charcnt) {
      return bad("bad local time type");
    }
    zone.offsets_.push_back(utoff);
  }
  r.skip(h->charcnt + h->isstdcnt + h->isutcnt);

  // The footer: "\n<POSIX TZ string>\n"; empty means "no rule after the last transition".
  if (r.left() < 2 || r.take(1) != "\n") return bad("missing footer");
  const auto rest = r.take(r.left());
  const auto newline = rest.find('\n');
  if (newline == std::string_view::npos) return bad("unterminated footer");
  const auto footer = rest.substr(0, newline);
  if (!footer.empty()) {
    auto rule = PosixTz::parse(footer);
    if (!rule) return rule.error();
    zone.footer_ = *rule;
  }
  return zone;
}

std::int32_t TimeZone::utc_offset(std::int64_t t) const {
  if (transitions_.empty() || t < transitions_.front()) {
    if (transitions_.empty() && footer_) return footer_->utc_offset(t);
    return offsets_.front();  // RFC 8536: before the first transition, type 0
  }
  if (t >= transitions_.back() && footer_) return footer_->utc_offset(t);
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  return offsets_[type_of_[static_cast<std::size_t>(it - transitions_.begin()) - 1]];
}

}  // namespace slipway
