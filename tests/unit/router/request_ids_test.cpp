#include "router/request_ids.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <thread>
#include <vector>

namespace slipway::router {
namespace {

TEST(RequestIds, AreVersion4UuidsInLowerCaseHex) {
  const std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_request_id();
    EXPECT_TRUE(std::regex_match(id, uuid)) << id;
  }
}

TEST(RequestIds, DoNotRepeatWithinOrAcrossThreads) {
  constexpr int kPerThread = 20000;
  std::vector<std::vector<std::string>> drawn(4);
  std::vector<std::thread> threads;
  for (auto& ids : drawn) {
    threads.emplace_back([&ids] {
      for (int i = 0; i < kPerThread; ++i) ids.push_back(new_request_id());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> unique;
  for (const auto& ids : drawn) unique.insert(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), drawn.size() * kPerThread);
}

}  // namespace
}  // namespace slipway::router
