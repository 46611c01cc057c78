// A time zone read from a TZif file (RFC 8536, version 2 or later; /usr/share/zoneinfo).
// GCC 12's libstdc++ has no std::chrono::tzdb, and setenv("TZ") is process-global, so the
// scheduler reads the files itself. Untrusted input: from_tzif() checks every count and index.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/posix_tz.h"
#include "common/result.h"

namespace slipway {

class TimeZone {
 public:
  // kInvalidParams when `bytes` is not a TZif v2+ file we can use (leap-second files included).
  static Result<TimeZone> from_tzif(std::string_view bytes);

  // Seconds east of UTC in effect at `t` (seconds since the epoch, UTC).
  std::int32_t utc_offset(std::int64_t t) const;

 private:
  std::vector<std::int64_t> transitions_;  // ascending
  std::vector<std::uint8_t> type_of_;      // per transition: index into offsets_
  std::vector<std::int32_t> offsets_;      // per local time type: seconds east of UTC
  std::optional<PosixTz> footer_;          // after the last transition
};

}  // namespace slipway
