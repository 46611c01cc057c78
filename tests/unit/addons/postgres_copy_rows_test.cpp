// Counting rows of COPY text data as it streams by, as pg_dump writes a table's data file:
// one line per row, then a `\.` line.
#include "addons/postgres/copy_rows.h"

#include <gtest/gtest.h>

#include <string>

namespace slipway::addons::postgres {
namespace {

std::optional<std::int64_t> count_in_pieces(const std::string& data, std::size_t piece) {
  CopyRowCounter counter;
  for (std::size_t at = 0; at < data.size(); at += piece) {
    counter.feed(std::string_view(data).substr(at, piece));
  }
  return counter.rows();
}

TEST(CopyRowCounter, CountsTheLinesBeforeTheTerminatorHoweverTheDataIsCut) {
  // What pg_dump 15 wrote for a table of three text values, two of them looking like the end:
  // E'x\n\\.', E'\\.' and '.'.
  const std::string data = "x\\n\\\\.\n\\\\.\n.\n\\.\n\n\n";
  for (const std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{5}, data.size()}) {
    EXPECT_EQ(count_in_pieces(data, piece), 3) << piece;
  }
}

TEST(CopyRowCounter, EmptyTablesAndTablesWithoutColumnsCount) {
  EXPECT_EQ(count_in_pieces("\\.\n\n\n", 1), 0);
  // A table with no columns: each row is an empty line.
  EXPECT_EQ(count_in_pieces("\n\n\\.\n\n\n", 1), 2);
  EXPECT_EQ(count_in_pieces("\n\n\\.\n\n\n", 64), 2);
}

TEST(CopyRowCounter, DataWithoutTheTerminatorHasNoCount) {
  EXPECT_EQ(count_in_pieces("", 1), std::nullopt);
  EXPECT_EQ(count_in_pieces("1\tone\n2\ttwo\n", 3), std::nullopt);
  EXPECT_EQ(count_in_pieces("1\n\\.", 1), std::nullopt);     // the line has not ended
  EXPECT_EQ(count_in_pieces("1\n\\.x\n", 1), std::nullopt);  // not the terminator
  EXPECT_EQ(count_in_pieces("1\n \\.\n", 1), std::nullopt);
  // What follows the terminator is not counted.
  EXPECT_EQ(count_in_pieces("1\n\\.\n2\n3\n", 2), 1);
}

}  // namespace
}  // namespace slipway::addons::postgres
