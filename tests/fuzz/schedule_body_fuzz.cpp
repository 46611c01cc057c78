// Fuzzes the pg:backups:schedule body parser: an accepted body has an hour of 0-23, a zone name
// that cannot leave the zoneinfo directory, and an attachment config var as its name.
#include <cstdint>
#include <string_view>

#include "api/schedule_bodies.h"
#include "common/zoneinfo.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (const auto hour = slipway::api::parse_hour(body)) {
    FUZZ_CHECK(*hour >= 0 && *hour <= 23 && !body.empty() && body.size() <= 2);
  }
  const auto parsed = slipway::api::parse_schedule_body(body);
  if (!parsed.ok()) return 0;
  FUZZ_CHECK(parsed->hour >= 0 && parsed->hour <= 23);
  FUZZ_CHECK(slipway::valid_zone_name(parsed->timezone));
  FUZZ_CHECK(parsed->timezone.find("..") == std::string::npos);
  FUZZ_CHECK(parsed->timezone.front() != '/');
  FUZZ_CHECK(parsed->schedule_name.ends_with("_URL"));
  return 0;
}
