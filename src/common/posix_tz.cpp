#include "common/posix_tz.h"

#include <algorithm>
#include <chrono>

namespace slipway {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

Error bad(std::string_view why) {
  return make_error(ErrorCode::kInvalidParams, "Invalid TZ rule: " + std::string(why) + ".");
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  // Up to `max_digits` digits; nullopt when there are none.
  std::optional<int> number(int max_digits) {
    int value = 0;
    int n = 0;
    while (n < max_digits && peek() >= '0' && peek() <= '9') {
      value = value * 10 + (s_[pos_++] - '0');
      ++n;
    }
    if (n == 0) return std::nullopt;
    return value;
  }
  // A zone abbreviation: 3+ letters, or <...> of letters, digits, '+' and '-'.
  bool name() {
    std::size_t n = 0;
    if (eat('<')) {
      while (!done() && peek() != '>') {
        const char c = peek();
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '-';
        if (!ok) return false;
        ++pos_;
        ++n;
      }
      return eat('>') && n >= 3;
    }
    while ((peek() >= 'A' && peek() <= 'Z') || (peek() >= 'a' && peek() <= 'z')) {
      ++pos_;
      ++n;
    }
    return n >= 3;
  }
  // [+-]hh[:mm[:ss]] with hh <= max_hours, in seconds.
  std::optional<std::int32_t> duration(int max_hours) {
    int sign = 1;
    if (eat('-')) {
      sign = -1;
    } else {
      eat('+');
    }
    const auto h = number(3);
    if (!h || *h > max_hours) return std::nullopt;
    int m = 0;
    int sec = 0;
    if (eat(':')) {
      const auto mm = number(2);
      if (!mm || *mm > 59) return std::nullopt;
      m = *mm;
      if (eat(':')) {
        const auto ss = number(2);
        if (!ss || *ss > 59) return std::nullopt;
        sec = *ss;
      }
    }
    return sign * (*h * 3600 + m * 60 + sec);
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

std::optional<PosixTz::Rule> parse_rule(Cursor& c) {
  PosixTz::Rule r;
  if (c.eat('J')) {
    r.kind = PosixTz::Rule::Kind::kJulian;
    const auto d = c.number(3);
    if (!d || *d < 1 || *d > 365) return std::nullopt;
    r.day = *d;
  } else if (c.eat('M')) {
    r.kind = PosixTz::Rule::Kind::kMonthWeekDay;
    const auto m = c.number(2);
    if (!m || *m < 1 || *m > 12 || !c.eat('.')) return std::nullopt;
    const auto w = c.number(1);
    if (!w || *w < 1 || *w > 5 || !c.eat('.')) return std::nullopt;
    const auto d = c.number(1);
    if (!d || *d > 6) return std::nullopt;
    r.month = *m;
    r.week = *w;
    r.day = *d;
  } else {
    r.kind = PosixTz::Rule::Kind::kZeroBased;
    const auto d = c.number(3);
    if (!d || *d > 365) return std::nullopt;
    r.day = *d;
  }
  if (c.eat('/')) {
    const auto t = c.duration(167);
    if (!t) return std::nullopt;
    r.time = *t;
  }
  return r;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Days since the epoch of the rule's day in `year`.
std::int64_t rule_day(const PosixTz::Rule& r, int year) {
  const sys_days jan1{std::chrono::year{year} / 1 / 1};
  switch (r.kind) {
    case PosixTz::Rule::Kind::kJulian: {
      int d = r.day - 1;  // Feb 29 is never counted
      if (is_leap(year) && r.day > 59) ++d;
      return (jan1 + days{d}).time_since_epoch().count();
    }
    case PosixTz::Rule::Kind::kZeroBased:
      return (jan1 + days{r.day}).time_since_epoch().count();
    case PosixTz::Rule::Kind::kMonthWeekDay:
      break;
  }
  const std::chrono::year_month ym{std::chrono::year{year},
                                   std::chrono::month{static_cast<unsigned>(r.month)}};
  const sys_days first{ym / 1};
  const std::chrono::weekday want{static_cast<unsigned>(r.day)};
  sys_days day = first + (want - std::chrono::weekday{first});
  day += days{7 * (r.week - 1)};
  const sys_days last{ym / std::chrono::last};
  while (day > last) day -= days{7};  // week 5 means "the last"
  return day.time_since_epoch().count();
}

}  // namespace

Result<PosixTz> PosixTz::parse(std::string_view text) {
  if (text.empty() || text.size() > 128) return bad("empty or too long");
  Cursor c(text);
  PosixTz tz;
  if (!c.name()) return bad("bad standard time name");
  const auto std_off = c.duration(24);
  if (!std_off) return bad("bad standard time offset");
  tz.std_offset_ = -*std_off;  // POSIX counts west of UTC as positive
  if (c.done()) return tz;
  if (!c.name()) return bad("bad daylight time name");
  tz.dst_offset_ = tz.std_offset_ + 3600;
  if (c.peek() != ',' && !c.done()) {
    const auto dst_off = c.duration(24);
    if (!dst_off) return bad("bad daylight time offset");
    tz.dst_offset_ = -*dst_off;
  }
  if (c.done()) {
    // No rule: POSIX leaves it to the implementation; the US rules are the usual default.
    tz.start_ = Rule{Rule::Kind::kMonthWeekDay, 0, 3, 2, 2 * 3600};
    tz.end_ = Rule{Rule::Kind::kMonthWeekDay, 0, 11, 1, 2 * 3600};
    return tz;
  }
  if (!c.eat(',')) return bad("expected a rule");
  const auto start = parse_rule(c);
  if (!start || !c.eat(',')) return bad("bad start rule");
  const auto end = parse_rule(c);
  if (!end || !c.done()) return bad("bad end rule");
  tz.start_ = *start;
  tz.end_ = *end;
  return tz;
}

std::int32_t PosixTz::utc_offset(std::int64_t t) const {
  if (!dst_offset_) return std_offset_;
  // The year of `t` in standard time (kept within years 1-9999, which chrono can represent);
  // the rules' instants are then compared in UTC.
  constexpr std::int64_t kYear1 = -62135596800;
  constexpr std::int64_t kYear9999End = 253402300799;
  const std::int64_t clamped = std::clamp(t, kYear1 + 86400, kYear9999End - 86400);
  const auto local_days = std::chrono::floor<days>(
      std::chrono::sys_seconds{std::chrono::seconds{clamped + std_offset_}});
  const int year = static_cast<int>(std::chrono::year_month_day{local_days}.year());
  // DST is on from start (given in standard time) until end (given in daylight time).
  const std::int64_t start = rule_day(start_, year) * 86400 + start_.time - std_offset_;
  const std::int64_t end = rule_day(end_, year) * 86400 + end_.time - *dst_offset_;
  const bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return dst ? *dst_offset_ : std_offset_;
}

}  // namespace slipway
