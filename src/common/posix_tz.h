// The POSIX TZ rule at the end of a TZif v2+ file ("EST5EDT,M3.2.0,M11.1.0"): the zone's
// offsets after its last listed transition (RFC 8536 section 3.3, with its extensions:
// hours up to 167 and negative transition times). Untrusted input: parse() checks everything.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/result.h"

namespace slipway {

class PosixTz {
 public:
  // kInvalidParams when `text` is not a valid TZ string; an empty one is refused too.
  static Result<PosixTz> parse(std::string_view text);

  // Seconds east of UTC in effect at `t` (seconds since the epoch, UTC).
  std::int32_t utc_offset(std::int64_t t) const;

  // A day of the year on which DST starts or ends, and the local time of day it happens.
  struct Rule {
    enum class Kind { kJulian, kZeroBased, kMonthWeekDay } kind = Kind::kMonthWeekDay;
    int day = 0;  // Jn: 1-365 (no Feb 29); n: 0-365; Mm.w.d: d, 0 = Sunday
    int month = 0;
    int week = 0;                  // 1-5, 5 = the last such weekday of the month
    std::int32_t time = 2 * 3600;  // seconds after local midnight, -167h..167h
  };

 private:
  std::int32_t std_offset_ = 0;  // seconds east of UTC
  std::optional<std::int32_t> dst_offset_;
  Rule start_;
  Rule end_;
};

}  // namespace slipway
