#include "build/git_http_backend.h"

#include <gtest/gtest.h>

namespace slipway::build {
namespace {

TEST(ParseCgiHeader, ReadsFieldsAndStatus) {
  auto header = parse_cgi_header(
      "Expires: Fri, 01 Jan 1980 00:00:00 GMT\r\nPragma: no-cache\r\n"
      "Content-Type: application/x-git-receive-pack-advertisement\r\n");
  ASSERT_TRUE(header) << header.error().message;
  EXPECT_EQ(header->status, 200);
  ASSERT_EQ(header->fields.size(), 3U);
  EXPECT_EQ(header->fields[2].first, "Content-Type");
  EXPECT_EQ(header->fields[2].second, "application/x-git-receive-pack-advertisement");

  header = parse_cgi_header("Status: 403 Forbidden\nContent-Type: text/plain\n");
  ASSERT_TRUE(header);
  EXPECT_EQ(header->status, 403);
  EXPECT_EQ(header->fields.size(), 1U);
  header = parse_cgi_header("status:404");
  ASSERT_TRUE(header);
  EXPECT_EQ(header->status, 404);
}

TEST(ParseCgiHeader, RefusesMalformedBlocks) {
  EXPECT_FALSE(parse_cgi_header(""));
  EXPECT_FALSE(parse_cgi_header("no colon\r\n"));
  EXPECT_FALSE(parse_cgi_header(": empty name\r\n"));
  EXPECT_FALSE(parse_cgi_header("Bad Name: x\r\n"));
  EXPECT_FALSE(parse_cgi_header("A: b\r\n\r\nC: d\r\n"));
  EXPECT_FALSE(parse_cgi_header("Status: 20\r\n"));
  EXPECT_FALSE(parse_cgi_header("Status: 999 Nope\r\n"));
  EXPECT_FALSE(parse_cgi_header("Status: 2000\r\n"));
  EXPECT_FALSE(parse_cgi_header(std::string("X: a\0b\r\n", 8)));
}

}  // namespace
}  // namespace slipway::build
