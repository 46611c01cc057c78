// The blob store: content-addressed files moved into place by rename, stored once.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/crypto.h"
#include "common/fs.h"
#include "common/ids.h"
#include "store/blob_store.h"

namespace slipway::store {
namespace {

namespace fs = std::filesystem;

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slipway-blobs-test-" + random_hex(6));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path incoming(const BlobStore& blobs, const std::string& content) {
    const fs::path path = blobs.incoming_path();
    fs::create_directories(path.parent_path());
    EXPECT_TRUE(write_file_atomic(path, content, 0600).ok());
    return path;
  }

  fs::path dir_;
};

TEST_F(BlobStoreTest, AdoptingMovesTheFileUnderItsHashAndStoresContentOnce) {
  BlobStore blobs(dir_ / "blobs");
  const fs::path first = incoming(blobs, "archive bytes");
  auto sha = blobs.adopt(first);
  ASSERT_TRUE(sha.ok()) << sha.error().message;
  EXPECT_EQ(*sha, sha256_file(blobs.path_of(*sha)).value());
  EXPECT_FALSE(fs::exists(first));
  EXPECT_TRUE(blobs.contains(*sha));
  EXPECT_EQ(read_file(blobs.path_of(*sha)).value(), "archive bytes");

  // The same content again: stored once, the new file dropped.
  const fs::path again = incoming(blobs, "archive bytes");
  EXPECT_EQ(blobs.adopt(again).value(), *sha);
  EXPECT_FALSE(fs::exists(again));
}

TEST_F(BlobStoreTest, AHashComputedEarlierIsTheOneUsed) {
  BlobStore blobs(dir_ / "blobs");
  const fs::path file = incoming(blobs, "verified backup");
  const std::string sha = sha256_file(file).value();
  auto adopted = blobs.adopt(file, sha);
  ASSERT_TRUE(adopted.ok()) << adopted.error().message;
  EXPECT_EQ(*adopted, sha);
  EXPECT_EQ(read_file(blobs.path_of(sha)).value(), "verified backup");
  blobs.remove(sha);
  EXPECT_FALSE(blobs.contains(sha));
}

}  // namespace
}  // namespace slipway::store
