#include "logs/app_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/fs.h"
#include "common/ids.h"
#include "logs/log_reader.h"

namespace slipway::logs {
namespace {

namespace fs = std::filesystem;

class AppLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slipway-log-test-" + random_hex(6));
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string current() { return read_file(app_log_file(dir_, "app")).value(); }
  fs::path dir_;
};

TEST_F(AppLogTest, HerokuLineFormatOneLinePerInputLine) {
  append_line(dir_, "app", "app", "web.1", "first\nsecond\r\n");
  const auto text = current();
  const auto nl = text.find('\n');
  const std::string first = text.substr(0, nl);
  EXPECT_EQ(first.substr(first.find(' ') + 1), "app[web.1]: first");
  EXPECT_EQ(first[10], 'T');
  EXPECT_NE(first.find("+00:00 app[web.1]"), std::string::npos);
  EXPECT_NE(text.find(" app[web.1]: second\n"), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

TEST_F(AppLogTest, RotatesPastTheLimit) {
  const std::string chunk(1000, 'x');
  append_line(dir_, "app", "app", "web.1", chunk);
  while (fs::file_size(app_log_file(dir_, "app")) <= kRotateBytes) {
    append_line(dir_, "app", "app", "web.1", chunk);
  }
  append_line(dir_, "app", "app", "web.1", "after rotation");
  EXPECT_TRUE(fs::exists(app_log_file(dir_, "app").string() + ".1"));
  EXPECT_LT(current().size(), std::size_t{10000});
  EXPECT_NE(current().find("after rotation"), std::string::npos);
}

TEST_F(AppLogTest, FollowsAFileAnotherProcessRotated) {
  append_line(dir_, "app", "heroku", "router", "before");
  const auto file = app_log_file(dir_, "app");
  fs::rename(file, file.string() + ".1");  // as another writer would
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  append_line(dir_, "app", "heroku", "router", "after");
  EXPECT_NE(current().find("heroku[router]: after"), std::string::npos);
}

TEST(LogReader, OriginAndFilters) {
  const std::string line = "2025-01-01T00:00:00.000000+00:00 app[web.1]: hello [x]: y";
  const auto origin = parse_origin(line);
  ASSERT_TRUE(origin.has_value());
  EXPECT_EQ(origin->source, "app");
  EXPECT_EQ(origin->process, "web.1");
  EXPECT_TRUE(matches({"app", "web"}, line));
  EXPECT_TRUE(matches({"", "web.1"}, line));
  EXPECT_FALSE(matches({"", "web.2"}, line));
  EXPECT_FALSE(matches({"", "we"}, line));
  EXPECT_FALSE(matches({"heroku", ""}, line));
  EXPECT_FALSE(matches({"app", ""}, "garbage"));
  EXPECT_TRUE(matches({}, "garbage"));
}

TEST_F(AppLogTest, LastLinesAndFollowingByOffset) {
  for (int i = 0; i < 5; ++i) append_line(dir_, "app", "app", "web.1", "n" + std::to_string(i));
  append_line(dir_, "app", "heroku", "router", "r");
  std::uint64_t offset = 0;
  auto last = last_lines(dir_, "app", {"app", ""}, 2, &offset);
  ASSERT_EQ(last.size(), 2U);
  EXPECT_NE(last[0].text.find("n3"), std::string::npos);
  EXPECT_NE(last[1].text.find("n4"), std::string::npos);
  EXPECT_EQ(offset, end_offset(dir_, "app"));
  append_line(dir_, "app", "app", "web.1", "new");
  auto next = lines_after(dir_, "app", {}, offset);
  ASSERT_EQ(next.size(), 1U);
  EXPECT_NE(next[0].text.find("new"), std::string::npos);
  EXPECT_EQ(offset, end_offset(dir_, "app"));
  EXPECT_TRUE(lines_after(dir_, "app", {}, offset).empty());
}

}  // namespace
}  // namespace slipway::logs
