// Gzip members checked as their bytes arrive, and a directory followed while files are written
// into it, as pg_dump -Fd writes its data files.
#include <zlib.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "../temp_dir.h"
#include "addons/postgres/dump_follower.h"
#include "addons/postgres/gzip_member.h"
#include "common/fs.h"

namespace slipway::addons::postgres {
namespace {

namespace fs = std::filesystem;

// `data` as one gzip member, the way gzopen writes one, with a file name in the header when
// `name` is given.
std::string gzip(const std::string& data, const char* name = nullptr) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  gz_header header{};
  if (name) {
    header.name = reinterpret_cast<Bytef*>(const_cast<char*>(name));
    EXPECT_EQ(deflateSetHeader(&z, &header), Z_OK);
  }
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Rows as COPY writes them, compressible but not trivially.
std::string rows(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    out += std::to_string(i * 7919 % 100003) + "\tnote " + std::to_string(i) + "\n";
  }
  return out;
}

std::uint32_t adler_of(const std::string& data) {
  return static_cast<std::uint32_t>(adler32(adler32(0L, Z_NULL, 0),
                                            reinterpret_cast<const Bytef*>(data.data()),
                                            static_cast<uInt>(data.size())));
}

TEST(GzipMember, PiecesOfAnySizeFindTheSameDeflateDataAndChecksum) {
  const std::string data = rows(20000);
  const std::string file = gzip(data, "3362.dat");
  const std::size_t start = 10 + sizeof("3362.dat");
  for (const std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, file.size()}) {
    GzipMemberCheck check;
    for (std::size_t at = 0; at < file.size(); at += piece) {
      ASSERT_TRUE(check.feed(std::string_view(file).substr(at, piece))) << piece;
      if (at + piece < file.size()) {
        EXPECT_FALSE(check.member().has_value()) << "early " << at;
      }
    }
    ASSERT_TRUE(check.member().has_value()) << piece;
    EXPECT_EQ(check.member()->payload_start, start);
    EXPECT_EQ(check.member()->payload_size, file.size() - start - 8);
    EXPECT_EQ(check.member()->adler32, adler_of(data));
  }
}

TEST(GzipMember, CountsTheRowsOfCopyDataAsItInflates) {
  const std::string data = rows(20000) + "\\.\n\n\n";  // as pg_dump ends a table's data
  const std::string file = gzip(data);
  for (const std::size_t piece : {std::size_t{3}, std::size_t{4096}, file.size()}) {
    GzipMemberCheck check;
    for (std::size_t at = 0; at < file.size(); at += piece) {
      ASSERT_TRUE(check.feed(std::string_view(file).substr(at, piece)));
    }
    ASSERT_TRUE(check.member().has_value());
    EXPECT_EQ(check.member()->copy_rows, 20000) << piece;
  }
  GzipMemberCheck unterminated;
  ASSERT_TRUE(unterminated.feed(gzip(rows(10))));
  ASSERT_TRUE(unterminated.member().has_value());
  EXPECT_EQ(unterminated.member()->copy_rows, std::nullopt);
}

TEST(GzipMember, AnEmptyMemberIsWholeToo) {
  GzipMemberCheck check;
  const std::string file = gzip("");
  ASSERT_TRUE(check.feed(file));
  ASSERT_TRUE(check.member().has_value());
  EXPECT_EQ(check.member()->adler32, 1U);
  EXPECT_EQ(check.member()->payload_start + check.member()->payload_size + 8, file.size());
}

TEST(GzipMember, ADamagedTrailerOrBytesAfterTheMemberFail) {
  const std::string file = gzip(rows(1000));
  for (const std::size_t at : {file.size() - 8, file.size() - 1}) {  // CRC, length
    std::string damaged = file;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x01);
    GzipMemberCheck check;
    EXPECT_FALSE(check.feed(damaged)) << at;
    EXPECT_TRUE(check.failed());
    EXPECT_FALSE(check.member().has_value());
  }
  GzipMemberCheck twice;
  EXPECT_FALSE(twice.feed(file + file));
  GzipMemberCheck late;
  ASSERT_TRUE(late.feed(file));
  EXPECT_FALSE(late.feed("x"));
  EXPECT_FALSE(late.member().has_value());
}

TEST(GzipMember, ATruncatedMemberIsNotWholeYetButNotFailedEither) {
  const std::string file = gzip(rows(1000));
  GzipMemberCheck check;
  EXPECT_TRUE(check.feed(file.substr(0, file.size() - 3)));
  EXPECT_FALSE(check.member().has_value());
  EXPECT_FALSE(check.failed());
}

TEST(GzipMember, CheckingAFileNamesItWhenItIsNotOneWholeMember) {
  testing::TempDir dir;
  const std::string file = gzip(rows(1000));
  ASSERT_TRUE(write_file_atomic(dir.path() / "1.dat.gz", file));
  auto whole = check_gzip_file(dir.path() / "1.dat.gz");
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->payload_start + whole->payload_size + 8, file.size());

  ASSERT_TRUE(write_file_atomic(dir.path() / "2.dat.gz", file.substr(0, file.size() / 2)));
  auto truncated = check_gzip_file(dir.path() / "2.dat.gz");
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().message.find("2.dat.gz is corrupt"), std::string::npos);

  const std::atomic<bool> cancel{true};
  EXPECT_EQ(check_gzip_file(dir.path() / "1.dat.gz", &cancel).error().code, ErrorCode::kConflict);
  EXPECT_FALSE(check_gzip_file(dir.path() / "missing.dat.gz").ok());
}

// Appends `bytes` to `path` in pieces, pausing between them, as a slow pg_dump would.
void write_slowly(const fs::path& path, const std::string& bytes, std::size_t pieces) {
  std::ofstream out(path, std::ios::binary);
  const std::size_t piece = bytes.size() / pieces + 1;
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    out.write(bytes.data() + at, static_cast<std::streamsize>(std::min(piece, bytes.size() - at)));
    out.flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
  }
}

TEST(DumpFollower, ChecksFilesWhileTheyAreWrittenIntoADirectoryThatDidNotExistYet) {
  testing::TempDir root;
  const fs::path dir = root.path() / "dump.dir";
  const std::atomic<bool> cancel{false};
  DumpFollower follower(dir, &cancel);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  fs::create_directory(dir);
  const std::string big = gzip(rows(200000));
  const std::string small = gzip(rows(10) + "\\.\n\n", "3363.dat");
  std::string damaged = gzip(rows(5000));
  damaged[damaged.size() - 5] = static_cast<char>(damaged[damaged.size() - 5] ^ 0x10);
  write_slowly(dir / "3362.dat.gz", big.substr(0, big.size() / 2), 10);
  std::ofstream(dir / "toc.dat") << "not followed";
  write_slowly(dir / "3363.dat.gz", small, 3);
  write_slowly(dir / "3364.dat.gz", damaged, 3);
  {
    std::ofstream rest(dir / "3362.dat.gz", std::ios::binary | std::ios::app);
    rest << big.substr(big.size() / 2);  // the rest arrives after the follower's last look
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(250));  // it has seen every file by now

  const CheckedFiles checked = follower.finish();
  ASSERT_EQ(checked.size(), 2U);  // the damaged one is left for the conversion to report
  for (const char* name : {"3362.dat.gz", "3363.dat.gz"}) {
    ASSERT_EQ(checked.count(name), 1U) << name;
    auto again = check_gzip_file(dir / name);
    ASSERT_TRUE(again.ok()) << name;
    EXPECT_EQ(checked.at(name).payload_start, again->payload_start) << name;
    EXPECT_EQ(checked.at(name).payload_size, again->payload_size) << name;
    EXPECT_EQ(checked.at(name).adler32, again->adler32) << name;
    EXPECT_EQ(checked.at(name).copy_rows, again->copy_rows) << name;
  }
  EXPECT_EQ(checked.at("3363.dat.gz").copy_rows, 10);
}

TEST(DumpFollower, StopsWhenCanceledOrDestroyed) {
  testing::TempDir root;
  ASSERT_TRUE(write_file_atomic(root.path() / "1.dat.gz", gzip(rows(100)).substr(0, 20)));
  std::atomic<bool> cancel{false};
  {
    DumpFollower never_finished(root.path(), &cancel);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }  // joins its thread
  DumpFollower follower(root.path(), &cancel);
  cancel.store(true);
  EXPECT_TRUE(follower.finish().empty());
}

}  // namespace
}  // namespace slipway::addons::postgres
