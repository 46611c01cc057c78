#include "router/route_table.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "../temp_dir.h"
#include "common/fs.h"

namespace slipway::router {
namespace {

std::map<std::string, runtime::AppRoute> one_app(const std::string& name,
                                                 std::vector<std::pair<std::string, int>> web) {
  runtime::AppRoute route;
  route.app_id = name + "-id";
  route.backends = std::move(web);
  return {{name, route}};
}

TEST(RouteTable, ARequestAfterTheRoutesChangedSeesTheNewRoutesWithoutWaitingForTheWatcher) {
  testing::TempDir dir;
  const runtime::Paths paths(dir.path());
  ASSERT_TRUE(runtime::write_routes(paths, one_app("shop", {})));
  RouteTable routes(paths.routes_file());
  ASSERT_TRUE(routes.current()->at("shop").backends.empty());

  // The runtime marks web.1 up right after this write; the watcher looks only every 100 ms.
  ASSERT_TRUE(runtime::write_routes(paths, one_app("shop", {{"web.1", 40001}})));
  const auto table = routes.refreshed();
  ASSERT_EQ(table->at("shop").backends.size(), 1U);
  EXPECT_EQ(table->at("shop").backends[0], std::make_pair(std::string("web.1"), 40001));
  EXPECT_EQ(routes.current(), table);  // and every later request sees the same
}

TEST(RouteTable, AnUnchangedFileIsNotReadAgain) {
  testing::TempDir dir;
  const runtime::Paths paths(dir.path());
  ASSERT_TRUE(runtime::write_routes(paths, one_app("shop", {{"web.1", 40001}})));
  RouteTable routes(paths.routes_file());
  const auto before = routes.current();
  EXPECT_EQ(routes.refreshed(), before);
}

TEST(RouteTable, AMissingFileKeepsTheLastGoodTable) {
  testing::TempDir dir;
  const runtime::Paths paths(dir.path());
  ASSERT_TRUE(runtime::write_routes(paths, one_app("shop", {{"web.1", 40001}})));
  RouteTable routes(paths.routes_file());
  std::filesystem::remove(paths.routes_file());
  EXPECT_EQ(routes.refreshed()->at("shop").backends.size(), 1U);
}

TEST(RouteTable, AFileThatIsNotARoutesFileKeepsTheLastGoodTable) {
  testing::TempDir dir;
  const runtime::Paths paths(dir.path());
  ASSERT_TRUE(runtime::write_routes(paths, one_app("shop", {{"web.1", 40001}})));
  RouteTable routes(paths.routes_file());
  for (const char* text : {"", "{\"apps\": [", "[]", "{\"apps\": 3}",
                           "{\"apps\": {\"shop\": {\"backends\": [{\"port\": \"x\"}]}}}"}) {
    ASSERT_TRUE(write_file_atomic(paths.routes_file(), text)) << text;
    EXPECT_EQ(routes.refreshed()->at("shop").backends.size(), 1U) << text;
  }
}

TEST(RouteTable, ConcurrentRefreshesAllEndOnTheLastVersionWritten) {
  testing::TempDir dir;
  const runtime::Paths paths(dir.path());
  ASSERT_TRUE(runtime::write_routes(paths, one_app("shop", {})));
  RouteTable routes(paths.routes_file());
  std::atomic<bool> writing{true};
  std::vector<std::thread> readers;
  readers.reserve(4);
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (writing.load()) (void)routes.refreshed();
    });
  }
  for (int port = 40001; port <= 40200; ++port) {
    ASSERT_TRUE(runtime::write_routes(paths, one_app("shop", {{"web.1", port}})));
  }
  writing.store(false);
  for (auto& t : readers) t.join();
  EXPECT_EQ(routes.refreshed()->at("shop").backends.at(0).second, 40200);
}

}  // namespace
}  // namespace slipway::router
