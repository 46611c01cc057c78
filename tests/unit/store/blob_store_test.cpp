// The blob store: content-addressed files moved into place by rename, stored once.
#include <gtest/gtest.h>

#include <filesystem>

#include "../temp_dir.h"
#include "common/crypto.h"
#include "common/fs.h"
#include "store/blob_store.h"

namespace slipway::store {
namespace {

namespace fs = std::filesystem;

class BlobStoreTest : public ::testing::Test {
 protected:
  fs::path incoming(const std::string& content) {
    const fs::path path = blobs_.incoming_path();
    fs::create_directories(path.parent_path());
    EXPECT_TRUE(write_file_atomic(path, content, 0600).ok());
    return path;
  }

  slipway::testing::TempDir dir_;
  BlobStore blobs_{dir_ / "blobs"};
};

TEST_F(BlobStoreTest, AdoptingMovesTheFileUnderItsHashAndStoresContentOnce) {
  const fs::path first = incoming("archive bytes");
  auto sha = blobs_.adopt(first);
  ASSERT_TRUE(sha.ok()) << sha.error().message;
  EXPECT_EQ(*sha, sha256_file(blobs_.path_of(*sha)).value());
  EXPECT_FALSE(fs::exists(first));
  EXPECT_TRUE(blobs_.contains(*sha));
  EXPECT_EQ(read_file(blobs_.path_of(*sha)).value(), "archive bytes");

  // The same content again: stored once, the new file dropped.
  const fs::path again = incoming("archive bytes");
  EXPECT_EQ(blobs_.adopt(again).value(), *sha);
  EXPECT_FALSE(fs::exists(again));
}

TEST_F(BlobStoreTest, AHashComputedEarlierIsTheOneUsed) {
  const fs::path file = incoming("verified backup");
  const std::string sha = sha256_file(file).value();
  auto adopted = blobs_.adopt(file, sha);
  ASSERT_TRUE(adopted.ok()) << adopted.error().message;
  EXPECT_EQ(*adopted, sha);
  EXPECT_EQ(read_file(blobs_.path_of(sha)).value(), "verified backup");
  blobs_.remove(sha);
  EXPECT_FALSE(blobs_.contains(sha));
}

}  // namespace
}  // namespace slipway::store
