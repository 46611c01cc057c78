#include "api/range.h"

#include <gtest/gtest.h>

namespace slipway::api {
namespace {

RangeSpec parsed(std::string_view header) {
  auto r = parse_range(header);
  EXPECT_TRUE(r.ok()) << header;
  EXPECT_TRUE(r.value().has_value()) << header;
  return *r.value();
}

TEST(ParseRange, EmptyHeaderMeansNoRange) {
  auto r = parse_range("");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.value().has_value());
}

TEST(ParseRange, EverySpellingTheCliSends) {
  for (const auto* header : {"version ..; max=15, order=desc", "version ..; order=desc,max=15",
                             "version ..; max=15,order=desc", "version ..;max=15, order=desc ",
                             "version ..; order=desc; max=15;"}) {
    const auto spec = parsed(header);
    EXPECT_EQ(spec.field, "version") << header;
    EXPECT_EQ(spec.max, 15U) << header;
    EXPECT_TRUE(spec.descending) << header;
    EXPECT_FALSE(spec.start.has_value()) << header;
  }
}

TEST(ParseRange, TrailingSemicolonAndDefaultOrder) {
  const auto spec = parsed("id ..; max=1000;");
  EXPECT_EQ(spec.field, "id");
  EXPECT_EQ(spec.max, 1000U);
  EXPECT_FALSE(spec.descending);
}

TEST(ParseRange, ExclusiveStartWithAndWithoutField) {
  auto spec = parsed("name ]myapp..; max=2");
  EXPECT_EQ(spec.field, "name");
  EXPECT_EQ(spec.start, "myapp");
  EXPECT_TRUE(spec.start_exclusive);
  spec = parsed("]abc..; max=2");
  EXPECT_EQ(spec.field, "");
  EXPECT_EQ(spec.start, "abc");
}

TEST(ParseRange, LongBoundsAreRefusedSoNextRangeAlwaysParsesBack) {
  EXPECT_FALSE(parse_range("name .." + std::string(300, 'z') + "; max=1").ok());
  EXPECT_FALSE(parse_range(std::string(65, 'f') + " ..; max=1").ok());
  const auto spec = parsed("name .." + std::string(kMaxRangeBoundBytes, 'z') + "; max=1");
  const auto next = next_range(spec, std::string(kMaxRangeFieldBytes, 'f'),
                               std::string(kMaxRangeBoundBytes, 'a'));
  EXPECT_TRUE(parse_range(next).ok()) << next.size();
}

TEST(ParseRange, MaxIsClampedAndValidated) {
  EXPECT_EQ(parsed("id ..; max=5000").max, kMaxPageSize);
  EXPECT_FALSE(parse_range("id ..; max=0").ok());
  EXPECT_FALSE(parse_range("id ..; max=-1").ok());
  EXPECT_FALSE(parse_range("id ..; max=ten").ok());
  EXPECT_FALSE(parse_range("id ..; order=sideways").ok());
  EXPECT_FALSE(parse_range("id ..; colour=blue").ok());
  EXPECT_FALSE(parse_range("id; max=1").ok());
  EXPECT_FALSE(parse_range("garbage").ok());
}

std::vector<SortKey> versions(std::initializer_list<int> vs) {
  std::vector<SortKey> out;
  for (int v : vs) out.push_back(SortKey{v, std::to_string(v), true});
  return out;
}

std::vector<std::size_t> page_of(const std::vector<SortKey>& keys, std::string_view header) {
  auto page = paginate(keys, *parse_range(header).value(), "version");
  EXPECT_TRUE(page.ok());
  return page->indexes;
}

TEST(Paginate, DescendingMaxOneGivesNewest) {
  const auto keys = versions({1, 2, 3, 10});
  auto page = paginate(keys, *parse_range("version ..; order=desc,max=1").value(), "version");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->indexes.size(), 1U);
  EXPECT_EQ(page->indexes[0], 3U);  // version 10, compared as a number, not as text
  ASSERT_TRUE(page->next_range.has_value());
  EXPECT_EQ(*page->next_range, "version ]10..; max=1, order=desc");
}

TEST(Paginate, NoNextRangeOnTheLastPage) {
  const auto keys = versions({1, 2, 3});
  auto page = paginate(keys, *parse_range("version ..; max=3").value(), "version");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->indexes.size(), 3U);
  EXPECT_FALSE(page->next_range.has_value());
  auto none = paginate({}, std::nullopt, "version");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->indexes.empty());
  EXPECT_FALSE(none->next_range.has_value());
}

TEST(Paginate, FollowingNextRangeVisitsEveryItemOnceInBothOrders) {
  const auto keys = versions({5, 1, 4, 2, 3});
  for (const std::string order : {"", ", order=desc"}) {
    std::vector<std::int64_t> seen;
    std::optional<std::string> header = "version ..; max=2" + order;
    while (header) {
      auto page = paginate(keys, *parse_range(*header).value(), "version");
      ASSERT_TRUE(page.ok());
      for (auto i : page->indexes) seen.push_back(keys[i].number);
      header = page->next_range;
    }
    if (order.empty()) {
      EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
    } else {
      EXPECT_EQ(seen, (std::vector<std::int64_t>{5, 4, 3, 2, 1}));
    }
  }
}

TEST(Paginate, InclusiveBoundsAndBadBoundValues) {
  const auto keys = versions({1, 2, 3, 4});
  EXPECT_EQ(page_of(keys, "version 2..3"), (std::vector<std::size_t>{1, 2}));
  auto bad = paginate(keys, *parse_range("version abc..").value(), "version");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace slipway::api
