#include "build/http_download.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "build_test_util.h"
#include "tiny_http_server.h"

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

DownloadContext context() { return DownloadContext{{{"PATH", "/usr/bin:/bin"}}, {}, {}}; }

TEST(DisplayUrl, DropsUserinfoQueryAndFragment) {
  EXPECT_EQ(display_url("https://user:secret@example.com:8443/a/b.tgz?X-Amz-Signature=s#frag"),
            "https://example.com:8443/a/b.tgz");
  EXPECT_EQ(display_url("http://example.com?token=t"), "http://example.com");
  EXPECT_EQ(display_url("http://example.com/p@x/y.tgz"), "http://example.com/p@x/y.tgz");
  EXPECT_EQ(display_url("https://h/s.tgz"), "https://h/s.tgz");
}

TEST(DownloadFile, WritesTheBodyAndSaysWhyWhenItCannot) {
  testing::TempDir tmp;
  const std::string body(3000, 'z');
  testing::TinyHttpServer server({{"/src.tgz", body}, {"/src.tgz?sig=abc", body}});
  const fs::path file = tmp / "out";
  ASSERT_TRUE(download_file({server.url("/src.tgz?sig=abc"), file, 1 << 20}, context()));
  EXPECT_EQ(read_all(file), body);

  auto missing = download_file({server.url("/nope.tgz"), tmp / "missing", 1 << 20}, context());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "HTTP 404");
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidParams);

  auto big = download_file({server.url("/src.tgz"), tmp / "big", 1000}, context());
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().message.rfind("it is larger than ", 0), 0U) << big.error().message;

  // Port 1 on loopback: nothing listens there.
  auto refused = download_file({"http://127.0.0.1:1/x.tgz", tmp / "refused", 1000}, context());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "could not connect to the server");
}

TEST(DownloadFile, CapsBodiesWhoseSizeIsNotAnnounced) {
  testing::TempDir tmp;
  testing::TinyHttpServer server({{"/src.tgz", std::string(std::size_t{256} * 1024, 'z')}}, false);
  auto big =
      download_file({server.url("/src.tgz"), tmp / "big", std::uint64_t{64} * 1024}, context());
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().message.rfind("it is larger than ", 0), 0U) << big.error().message;
  EXPECT_LE(fs::file_size(tmp / "big"), 64U * 1024);
  ASSERT_TRUE(download_file({server.url("/src.tgz"), tmp / "fits", 1 << 20}, context()));
  EXPECT_EQ(fs::file_size(tmp / "fits"), 256U * 1024);
}

TEST(DownloadFile, OtherSchemesAreRefused) {
  testing::TempDir tmp;
  auto file = download_file({"file:///etc/passwd", tmp / "f", 1 << 20}, context());
  ASSERT_FALSE(file.ok());
  EXPECT_FALSE(fs::exists(tmp / "f") && fs::file_size(tmp / "f") > 0);
}

}  // namespace
}  // namespace slipway::build
