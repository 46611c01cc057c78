// next_local_hour: daily HH:00 in a zone, across DST changes (skipped hours run at the change,
// repeated hours run once).
#include "common/local_hour.h"

#include <gtest/gtest.h>

#include "common/time.h"
#include "common/zoneinfo.h"

namespace slipway {
namespace {

using namespace std::chrono;

sys_seconds at(int y, unsigned m, unsigned d, int hh, int mm = 0) {
  return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm};
}

std::string next(const char* zone_name, int hour, sys_seconds after) {
  auto zone = load_zone(zone_name);
  EXPECT_TRUE(zone.ok()) << zone_name;
  return iso8601(next_local_hour(*zone, hour, after));
}

TEST(LocalHourTest, UtcIsStrictlyAfter) {
  EXPECT_EQ(next("UTC", 2, at(2024, 6, 1, 1, 59)), "2024-06-01T02:00:00Z");
  EXPECT_EQ(next("UTC", 2, at(2024, 6, 1, 2)), "2024-06-02T02:00:00Z");
  EXPECT_EQ(next("UTC", 0, at(2024, 12, 31, 23, 30)), "2025-01-01T00:00:00Z");
  EXPECT_EQ(next("UTC", 23, at(2024, 2, 28, 23, 30)), "2024-02-29T23:00:00Z");
}

TEST(LocalHourTest, NewYorkInSummerAndWinter) {
  EXPECT_EQ(next("America/New_York", 2, at(2024, 7, 1, 12)), "2024-07-02T06:00:00Z");
  EXPECT_EQ(next("America/New_York", 2, at(2024, 1, 1, 12)), "2024-01-02T07:00:00Z");
  // Late evening UTC is still the previous day in New York.
  EXPECT_EQ(next("America/New_York", 22, at(2024, 7, 2, 1)), "2024-07-02T02:00:00Z");
}

TEST(LocalHourTest, NewYorkSkippedHourRunsAtTheChange) {
  // 2024-03-10: 02:00 EST jumps to 03:00 EDT (07:00 UTC); 2:00 that day runs at 03:00 EDT.
  EXPECT_EQ(next("America/New_York", 2, at(2024, 3, 9, 12)), "2024-03-10T07:00:00Z");
  EXPECT_EQ(next("America/New_York", 2, at(2024, 3, 10, 7)), "2024-03-11T06:00:00Z");
  EXPECT_EQ(next("America/New_York", 3, at(2024, 3, 9, 12)), "2024-03-10T07:00:00Z");
}

TEST(LocalHourTest, NewYorkRepeatedHourRunsOnce) {
  // 2024-11-03: 01:00-02:00 happens twice (EDT at 05:00 UTC, EST at 06:00 UTC).
  EXPECT_EQ(next("America/New_York", 1, at(2024, 11, 2, 12)), "2024-11-03T05:00:00Z");
  EXPECT_EQ(next("America/New_York", 1, at(2024, 11, 3, 5)), "2024-11-04T06:00:00Z");
  EXPECT_EQ(next("America/New_York", 2, at(2024, 11, 2, 12)), "2024-11-03T07:00:00Z");
}

TEST(LocalHourTest, LondonKathmanduAndTheFarFuture) {
  EXPECT_EQ(next("Europe/London", 1, at(2024, 3, 30, 12)), "2024-03-31T01:00:00Z");  // 02:00 BST
  EXPECT_EQ(next("Europe/London", 1, at(2024, 10, 26, 12)), "2024-10-27T00:00:00Z");
  EXPECT_EQ(next("Asia/Kathmandu", 2, at(2024, 6, 1, 12)), "2024-06-01T20:15:00Z");
  // Past the listed transitions (the footer's rule): 2090-03-12 is the 2nd Sunday of March.
  EXPECT_EQ(next("America/New_York", 2, at(2090, 3, 11, 12)), "2090-03-12T07:00:00Z");
}

TEST(LocalHourTest, LordHoweHalfHourChanges) {
  if (!load_zone("Australia/Lord_Howe")) GTEST_SKIP() << "no Australia/Lord_Howe";
  // 2024-10-06: 02:00 +10:30 jumps to 02:30 +11 (15:30 UTC the day before).
  EXPECT_EQ(next("Australia/Lord_Howe", 2, at(2024, 10, 5, 0)), "2024-10-05T15:30:00Z");
  // 2025-04-06: 02:00 +11 falls back to 01:30 +10:30; 01:00 and 02:00 each happen once.
  EXPECT_EQ(next("Australia/Lord_Howe", 1, at(2025, 4, 5, 0)), "2025-04-05T14:00:00Z");
  EXPECT_EQ(next("Australia/Lord_Howe", 2, at(2025, 4, 5, 0)), "2025-04-05T15:30:00Z");
}

TEST(LocalHourTest, EveryHourOfAYearIsDailyAndInOrder) {
  auto ny = load_zone("America/New_York");
  ASSERT_TRUE(ny.ok());
  for (int hour : {0, 1, 2, 3, 12, 23}) {
    sys_seconds t = at(2024, 1, 1, 0);
    for (int i = 0; i < 366; ++i) {
      const auto n = next_local_hour(*ny, hour, t);
      ASSERT_GT(n, t);
      // 23 to 25 hours apart, except the first run of the year.
      if (i > 0) {
        ASSERT_GE(n - t, hours(23)) << hour << " " << iso8601(t);
        ASSERT_LE(n - t, hours(25)) << hour << " " << iso8601(t);
      }
      t = n;
    }
  }
}

}  // namespace
}  // namespace slipway
