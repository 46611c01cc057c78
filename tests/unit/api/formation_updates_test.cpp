#include "api/formation_updates.h"

#include <gtest/gtest.h>

namespace slipway::api {
namespace {

TEST(CanonicalDynoSize, AnyCaseAndLegacyNames) {
  EXPECT_EQ(canonical_dyno_size("standard-2x"), "Standard-2X");
  EXPECT_EQ(canonical_dyno_size("PERFORMANCE-L"), "Performance-L");
  EXPECT_EQ(canonical_dyno_size("basic"), "Basic");
  EXPECT_EQ(canonical_dyno_size("2x"), "Standard-2X");
  EXPECT_FALSE(canonical_dyno_size("huge"));
  EXPECT_FALSE(canonical_dyno_size(""));
  EXPECT_FALSE(canonical_dyno_size("standard"));
}

TEST(ParseFormationBatch, StringRelativeAndNumericQuantities) {
  auto updates = parse_formation_batch(
      R"({"updates":[{"quantity":"2","type":"web"},{"quantity":"+1","type":"worker"},)"
      R"({"quantity":"-1","size":"Standard-2X","type":"clock"},{"quantity":3,"type":"x"}]})");
  ASSERT_TRUE(updates.ok()) << updates.error().message;
  ASSERT_EQ(updates->size(), 4U);
  EXPECT_EQ((*updates)[0].quantity, 2);
  EXPECT_FALSE((*updates)[0].delta);
  EXPECT_EQ((*updates)[1].delta, 1);
  EXPECT_EQ((*updates)[2].delta, -1);
  EXPECT_EQ((*updates)[2].size, "Standard-2X");
  EXPECT_EQ((*updates)[3].quantity, 3);
}

TEST(ParseFormationBatch, SizeOnly) {
  auto updates = parse_formation_batch(R"({"updates":[{"size":"standard-1x","type":"web"}]})");
  ASSERT_TRUE(updates.ok());
  EXPECT_FALSE((*updates)[0].quantity);
  EXPECT_EQ((*updates)[0].size, "Standard-1X");
}

TEST(ParseFormationBatch, Refuses) {
  for (const auto* body :
       {R"({})", R"({"updates":[]})", R"({"updates":{}})", R"({"updates":[{"quantity":"1"}]})",
        R"({"updates":[{"type":"web"}]})", R"({"updates":[{"type":"web","quantity":"1.5"}]})",
        R"({"updates":[{"type":"web","quantity":"101"}]})",
        R"({"updates":[{"type":"web","quantity":-1}]})",
        R"({"updates":[{"type":"web","quantity":"++1"}]})",
        R"({"updates":[{"type":"web","quantity":"99999999999999999999"}]})",
        R"({"updates":[{"type":"web","quantity":true}]})",
        R"({"updates":[{"type":"web","size":"huge"}]})",
        R"({"updates":[{"type":"we b","quantity":"1"}]})", R"([1])", R"(nope)"}) {
    EXPECT_FALSE(parse_formation_batch(body).ok()) << body;
  }
}

TEST(ParseFormationSingle, TypeFromThePath) {
  auto update = parse_formation_single("worker", R"({"quantity":"0"})");
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(update->type, "worker");
  EXPECT_EQ(update->quantity, 0);
  EXPECT_FALSE(parse_formation_single("worker", R"({})").ok());
}

}  // namespace
}  // namespace slipway::api
