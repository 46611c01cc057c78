// Fuzzes the TZif reader and its POSIX TZ footer parser: any input is refused or gives a zone
// whose offsets stay within RFC 8536's bounds, and next_local_hour always moves forward by at
// most a few days.
#include <cstdint>
#include <string_view>

#include "common/local_hour.h"
#include "common/posix_tz.h"
#include "common/tzif.h"
#include "fuzz_check.h"

namespace {

bool plausible(std::int32_t offset) { return offset > -26 * 3600 && offset < 26 * 3600; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto rule = slipway::PosixTz::parse(bytes); rule.ok()) {
    for (const std::int64_t t : {INT64_MIN, std::int64_t{-1} << 40, std::int64_t{0},
                                 std::int64_t{1700000000}, std::int64_t{1} << 40, INT64_MAX}) {
      FUZZ_CHECK(plausible(rule->utc_offset(t)));
    }
  }
  auto zone = slipway::TimeZone::from_tzif(bytes);
  if (!zone.ok()) return 0;
  for (const std::int64_t t : {INT64_MIN, std::int64_t{-1} << 40, std::int64_t{0},
                               std::int64_t{1700000000}, std::int64_t{4102444800}, INT64_MAX}) {
    FUZZ_CHECK(plausible(zone->utc_offset(t)));
  }
  using std::chrono::sys_seconds;
  for (const std::int64_t t : {std::int64_t{0}, std::int64_t{1700000000}}) {
    const sys_seconds after{std::chrono::seconds{t}};
    for (const int hour : {0, 2, 23}) {
      const auto next = slipway::next_local_hour(*zone, hour, after);
      FUZZ_CHECK(next > after && next - after <= std::chrono::hours(24 * 7));
    }
  }
  return 0;
}
