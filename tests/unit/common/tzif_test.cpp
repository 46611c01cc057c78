// The TZif reader and the POSIX TZ rules of its footer, against Debian's tzdata and hand-made
// files.
#include "common/tzif.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/posix_tz.h"
#include "common/zoneinfo.h"

namespace slipway {
namespace {

using namespace std::chrono;

std::int64_t utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
  const auto t = sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm};
  return duration_cast<seconds>(t.time_since_epoch()).count();
}

TimeZone zone(const char* name) {
  auto z = load_zone(name);
  EXPECT_TRUE(z.ok()) << name << ": " << z.error().message;
  return *z;
}

TEST(TzifTest, NewYorkAroundBothChanges) {
  const auto ny = zone("America/New_York");
  // 2024-03-10 02:00 EST = 07:00 UTC; 2024-11-03 02:00 EDT = 06:00 UTC.
  EXPECT_EQ(ny.utc_offset(utc(2024, 3, 10, 6, 59)), -5 * 3600);
  EXPECT_EQ(ny.utc_offset(utc(2024, 3, 10, 7)), -4 * 3600);
  EXPECT_EQ(ny.utc_offset(utc(2024, 11, 3, 5, 59)), -4 * 3600);
  EXPECT_EQ(ny.utc_offset(utc(2024, 11, 3, 6)), -5 * 3600);
  // Far beyond the listed transitions, the footer's rule: 2100-07-01 is EDT.
  EXPECT_EQ(ny.utc_offset(utc(2100, 7, 1)), -4 * 3600);
  EXPECT_EQ(ny.utc_offset(utc(2100, 1, 1)), -5 * 3600);
}

TEST(TzifTest, LondonUtcKathmanduLordHowe) {
  const auto london = zone("Europe/London");
  EXPECT_EQ(london.utc_offset(utc(2024, 3, 31, 0, 59)), 0);
  EXPECT_EQ(london.utc_offset(utc(2024, 3, 31, 1)), 3600);
  EXPECT_EQ(london.utc_offset(utc(2024, 10, 27, 0, 59)), 3600);
  EXPECT_EQ(london.utc_offset(utc(2024, 10, 27, 1)), 0);
  EXPECT_EQ(zone("UTC").utc_offset(utc(2024, 6, 1)), 0);
  EXPECT_EQ(zone("Asia/Kathmandu").utc_offset(utc(2024, 6, 1)), 5 * 3600 + 45 * 60);
  auto lord_howe = load_zone("Australia/Lord_Howe");
  if (!lord_howe) GTEST_SKIP() << "no Australia/Lord_Howe in this tzdata";
  // +10:30 standard, +11 in summer (from the first Sunday of October, 02:00 local).
  EXPECT_EQ(lord_howe->utc_offset(utc(2024, 7, 1)), 10 * 3600 + 30 * 60);
  EXPECT_EQ(lord_howe->utc_offset(utc(2025, 1, 1)), 11 * 3600);
}

TEST(TzifTest, ZoneNamesAreCheckedStrictly) {
  EXPECT_TRUE(valid_zone_name("America/New_York"));
  EXPECT_TRUE(valid_zone_name("Etc/GMT+5"));
  EXPECT_TRUE(valid_zone_name("America/Port-au-Prince"));
  for (const char* bad : {"", "/etc/passwd", "../../etc/passwd", "America//New_York", "America/",
                          "America/New York", "UTC\n", "a.b"}) {
    EXPECT_FALSE(valid_zone_name(bad)) << bad;
  }
  for (const char* missing : {"Mars/Olympus", "America", "EST5EDT/x", "zone1970.tab"}) {
    auto z = load_zone(missing);
    ASSERT_FALSE(z.ok()) << missing;
    EXPECT_EQ(z.error().code, ErrorCode::kInvalidParams);
    EXPECT_NE(z.error().message.find(missing), std::string::npos);
  }
}

// A minimal v2 file: no transitions, one type, and `footer`.
std::string tzif(std::int32_t utoff, const std::string& footer) {
  auto be32 = [](std::uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  auto header = [&] {
    return std::string("TZif2") + std::string(15, '\0') + be32(0) + be32(0) + be32(0) + be32(0) +
           be32(1) + be32(4);
  };
  const std::string block = be32(static_cast<std::uint32_t>(utoff)) + std::string{0, 0} + "XYZ";
  return header() + block + std::string(1, '\0') + header() + block + std::string(1, '\0') + "\n" +
         footer + "\n";
}

TEST(TzifTest, HandMadeFilesAndBrokenOnes) {
  auto fixed = TimeZone::from_tzif(tzif(3600, "<+01>-1"));
  ASSERT_TRUE(fixed.ok()) << fixed.error().message;
  EXPECT_EQ(fixed->utc_offset(utc(2030, 1, 1)), 3600);
  auto no_footer = TimeZone::from_tzif(tzif(-7200, ""));
  ASSERT_TRUE(no_footer.ok());
  EXPECT_EQ(no_footer->utc_offset(0), -7200);

  const std::string good = tzif(0, "UTC0");
  EXPECT_FALSE(TimeZone::from_tzif("").ok());
  EXPECT_FALSE(TimeZone::from_tzif(good.substr(0, 50)).ok());
  EXPECT_FALSE(TimeZone::from_tzif(good.substr(0, good.size() - 1)).ok());  // unterminated
  std::string v1 = good;
  v1[4] = '\0';
  EXPECT_FALSE(TimeZone::from_tzif(v1).ok());
  EXPECT_FALSE(TimeZone::from_tzif(tzif(0, "nonsense rule")).ok());
  EXPECT_FALSE(TimeZone::from_tzif(tzif(30 * 3600, "")).ok());  // offset out of range
}

TEST(PosixTzTest, RulesOfBothHemispheres) {
  auto us = PosixTz::parse("EST5EDT,M3.2.0,M11.1.0");
  ASSERT_TRUE(us.ok());
  EXPECT_EQ(us->utc_offset(utc(2040, 3, 11, 6, 59)), -5 * 3600);  // 2nd Sunday of March 2040
  EXPECT_EQ(us->utc_offset(utc(2040, 3, 11, 7)), -4 * 3600);
  auto south = PosixTz::parse("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
  ASSERT_TRUE(south.ok());
  EXPECT_EQ(south->utc_offset(utc(2040, 1, 1)), 11 * 3600);
  EXPECT_EQ(south->utc_offset(utc(2040, 7, 1)), 10 * 3600 + 1800);
  auto julian = PosixTz::parse("XXX-2YYY,J60/0,J300/0");  // Mar 1 .. Oct 27, also in leap years
  ASSERT_TRUE(julian.ok());
  EXPECT_EQ(julian->utc_offset(utc(2040, 2, 29, 12)), 2 * 3600);
  EXPECT_EQ(julian->utc_offset(utc(2040, 3, 1, 12)), 3 * 3600);
  for (const char* bad : {"", "EST", "E5", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0",
                          "EST5EDT,J0,J10", "EST5EDT,M3.2.0", "EST99", "EST5EDT,M3.2.0/200,J1"}) {
    EXPECT_FALSE(PosixTz::parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace slipway
