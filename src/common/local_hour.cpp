#include "common/local_hour.h"

#include <cstdint>
#include <optional>

namespace slipway {
namespace {

constexpr std::int64_t kDay = 86400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// The instant local wall time `wall` (seconds since the epoch, as if local were UTC) happens:
// its first occurrence, or the DST change that skips it.
std::int64_t instant_of(const TimeZone& zone, std::int64_t wall) {
  // Real zones change offset at most once within a day of any instant.
  const std::int32_t before = zone.utc_offset(wall - kDay);
  const std::int32_t after = zone.utc_offset(wall + kDay);
  std::optional<std::int64_t> first;
  for (const std::int32_t off : {before, after}) {
    const std::int64_t t = wall - off;
    if (zone.utc_offset(t) == off && (!first || t < *first)) first = t;
  }
  if (first) return *first;
  // Skipped: find the change between reading it with the new offset and with the old one.
  std::int64_t lo = wall - std::max(before, after);  // still the old offset here
  std::int64_t hi = wall - std::min(before, after);  // already the new one
  if (lo > hi) std::swap(lo, hi);
  const std::int32_t old_offset = zone.utc_offset(lo);
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    (zone.utc_offset(mid) == old_offset ? lo : hi) = mid;
  }
  return hi;
}

}  // namespace

std::chrono::sys_seconds next_local_hour(const TimeZone& zone, int hour,
                                         std::chrono::sys_seconds after) {
  const std::int64_t t = after.time_since_epoch().count();
  const std::int64_t local_day = floor_div(t + zone.utc_offset(t), kDay);
  // From the day before (an offset change can make yesterday's hour today's instant), at most
  // a few days on (a zone that skips a whole day).
  for (std::int64_t day = local_day - 1; day <= local_day + 3; ++day) {
    const std::int64_t run = instant_of(zone, day * kDay + std::int64_t{hour} * 3600);
    if (run > t) return std::chrono::sys_seconds{std::chrono::seconds{run}};
  }
  return std::chrono::sys_seconds{std::chrono::seconds{t + kDay}};  // unreachable for real zones
}

}  // namespace slipway
