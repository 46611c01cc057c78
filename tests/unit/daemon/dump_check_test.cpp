#include "daemon/dump_check.h"

#include <gtest/gtest.h>

#include <fstream>

namespace slipway::daemon {
namespace {

TEST(DumpMagic, RecognisesCustomFormat) {
  EXPECT_TRUE(has_dump_magic(std::string_view("PGDMP\x01\x0e\x00", 8)));
  EXPECT_FALSE(has_dump_magic("-- PostgreSQL database dump"));
  EXPECT_FALSE(has_dump_magic("PGDM"));
  EXPECT_FALSE(has_dump_magic("<html>"));
}

TEST(DumpMagic, ChecksFiles) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto good = dir / "dump_check_good.dump";
  const auto bad = dir / "dump_check_bad.dump";
  std::ofstream(good) << "PGDMP rest";
  std::ofstream(bad) << "<html>not found</html>";
  EXPECT_TRUE(check_dump_file(good).ok());
  EXPECT_FALSE(check_dump_file(bad).ok());
  EXPECT_NE(check_dump_file(bad).error().message.find("PGDMP"), std::string::npos);
  EXPECT_FALSE(check_dump_file(dir / "dump_check_missing.dump").ok());
  std::filesystem::remove(good);
  std::filesystem::remove(bad);
}

TEST(CompareCounts, MatchesAndReportsDifferences) {
  const std::vector<TableRows> dumped = {{"public", "a", 10}, {"public", "b", 0}};
  auto v = compare_counts(dumped, {{"public", "a", 10}, {"public", "b", 0}, {"x", "extra", 3}});
  EXPECT_TRUE(v.ok);
  EXPECT_EQ(v.message, "Verified: 2 tables, 10 rows match");
  v = compare_counts(dumped, {{"public", "a", 7}});
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.message.find("public.a: 10 rows dumped, 7 restored"), std::string::npos);
  EXPECT_NE(v.message.find("public.b: missing after restore"), std::string::npos);
  EXPECT_TRUE(compare_counts({}, {}).ok);
}

}  // namespace
}  // namespace slipway::daemon
