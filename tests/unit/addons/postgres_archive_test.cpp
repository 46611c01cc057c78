// pg_dump archives: reading a directory dump's TOC, and turning a real `pg_dump -Fd` (gzip and
// uncompressed, with an empty table and a large object) into a custom-format archive that
// PostgreSQL 15's pg_restore restores to the same data; damaged dumps and cancels leave no file.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "addons/postgres/archive_convert.h"
#include "addons/postgres/archive_toc.h"
#include "addons/postgres/dump_follower.h"
#include "addons/postgres/engine.h"
#include "common/fs.h"
#include "daemon/pg_tools.h"
#include "postgres_test_support.h"

namespace slipway::addons::postgres {
namespace {

namespace fs = std::filesystem;
using namespace slipway::addons::postgres::testing;  // NOLINT(google-build-using-namespace)

void add_string(std::string& out, const std::string& s) {
  append_archive_int(out, static_cast<std::int64_t>(s.size()), 4);
  out += s;
}
void add_null(std::string& out) { append_archive_int(out, -1, 4); }

// A toc.dat as pg_dump 15 writes one: two entries, the second with a data file.
std::string directory_toc() {
  std::string out = "PGDMP";
  out += std::string{'\1', '\x0e', '\0', '\4', '\x08', static_cast<char>(kArchiveDirectory)};
  append_archive_int(out, 1, 4);  // compression
  for (int i = 0; i < 7; ++i) append_archive_int(out, 10 + i, 4);
  add_string(out, "db");
  add_string(out, "15.18");
  add_string(out, "15.18");
  append_archive_int(out, 2, 4);
  for (const int id : {7, 8}) {
    append_archive_int(out, id, 4);
    append_archive_int(out, id == 8 ? 1 : 0, 4);
    add_string(out, "0");
    add_string(out, "0");
    add_string(out, "t");
    add_string(out, id == 8 ? "TABLE DATA" : "TABLE");
    append_archive_int(out, id == 8 ? 3 : 2, 4);  // section
    add_string(out, id == 8 ? "" : "CREATE TABLE t (x int);");
    for (int i = 0; i < 6; ++i) add_null(out);  // drop, copy, namespace, tablespace, am, owner
    add_string(out, "false");
    if (id == 8) add_string(out, "7");  // depends on the table
    add_null(out);
    add_string(out, id == 8 ? "8.dat" : "");
  }
  return out;
}

TEST(ArchiveToc, ReadsADirectoryTocAndRefusesEveryTruncationOfIt) {
  const std::string bytes = directory_toc();
  auto toc = parse_directory_toc(bytes);
  ASSERT_TRUE(toc.ok()) << toc.error().message;
  EXPECT_EQ(toc->compression, 1);
  ASSERT_EQ(toc->entries.size(), 2U);
  EXPECT_EQ(toc->entries[0].dump_id, 7);
  EXPECT_FALSE(toc->entries[0].had_dumper);
  EXPECT_EQ(toc->entries[0].filename, "");
  EXPECT_EQ(toc->entries[1].desc, "TABLE DATA");
  EXPECT_TRUE(toc->entries[1].had_dumper);
  EXPECT_EQ(toc->entries[1].filename, "8.dat");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(parse_directory_toc(bytes.substr(0, n)).ok()) << "prefix of " << n << " bytes";
  }
  EXPECT_FALSE(parse_directory_toc(bytes + "x").ok());
}

TEST(ArchiveToc, RefusesOtherFormatsAndVersions) {
  std::string custom = directory_toc();
  custom[10] = static_cast<char>(kArchiveCustom);
  EXPECT_NE(parse_directory_toc(custom).error().message.find("not the directory format"),
            std::string::npos);
  std::string newer = directory_toc();
  newer[6] = '\x0f';
  EXPECT_NE(parse_directory_toc(newer).error().message.find("1.15"), std::string::npos);
  EXPECT_FALSE(parse_directory_toc("").ok());
}

TEST(ArchiveToc, TheCustomTocSaysWhereEachEntrysDataIsAndItsSizeDoesNotDependOnIt) {
  auto toc = parse_directory_toc(directory_toc());
  ASSERT_TRUE(toc.ok());
  const std::string a = custom_header_and_toc(*toc, {{}, {true, 0}});
  const std::string b = custom_header_and_toc(*toc, {{}, {true, 0x0102030405}});
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(b[10], static_cast<char>(kArchiveCustom));
  // The last entry ends with its offset: state 2 (set), then 8 bytes little-endian.
  EXPECT_EQ(b.substr(b.size() - 9), std::string("\x02\x05\x04\x03\x02\x01\0\0\0", 9));
  // The first has no data: state 3.
  const std::size_t first_end = b.find(toc->entries[0].body) + toc->entries[0].body.size();
  EXPECT_EQ(b[first_end], '\x03');
}

TEST(ArchiveToc, AnArchiveIntegerReadsBackAsWrittenAndNothingBeyondAnIntIsRead) {
  for (const int size : {4, 8}) {
    for (const int value : {0, 1, -1, 3364, -1294967296, 2147483647}) {
      std::string bytes;
      append_archive_int(bytes, value, size);
      EXPECT_EQ(parse_archive_int(bytes), value) << value << " in " << size << " bytes";
    }
  }
  std::string big;
  append_archive_int(big, std::int64_t{1} << 31, 8);
  EXPECT_EQ(parse_archive_int(big), std::nullopt);
  std::string bad_sign;
  append_archive_int(bad_sign, 7, 4);
  bad_sign[0] = '\2';
  EXPECT_EQ(parse_archive_int(bad_sign), std::nullopt);
  EXPECT_EQ(parse_archive_int(std::string("\0\1\0\0", 4)), std::nullopt);  // too short
}

TEST(ArchiveToc, ACustomTocReadsBackWithItsOffsetsAndEveryTruncationIsRefused) {
  auto toc = parse_directory_toc(directory_toc());
  ASSERT_TRUE(toc.ok());
  const std::string custom = custom_header_and_toc(*toc, {{}, {true, 0x0102030405}});
  // The data blocks follow the TOC: bytes after it are not the TOC's business.
  auto back = parse_custom_toc(custom + "data blocks");
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->entries.size(), 2U);
  EXPECT_FALSE(back->entries[0].data.has_data);
  EXPECT_TRUE(back->entries[1].data.has_data);
  EXPECT_EQ(back->entries[1].data.offset, 0x0102030405U);
  EXPECT_EQ(back->entries[1].tag, "t");
  EXPECT_EQ(back->entries[1].desc, "TABLE DATA");
  EXPECT_EQ(back->entries[0].defn, "CREATE TABLE t (x int);");
  EXPECT_EQ(back->entries[1].body, toc->entries[1].body);
  for (std::size_t n = 0; n < custom.size(); ++n) {
    EXPECT_FALSE(parse_custom_toc(custom.substr(0, n)).ok()) << "prefix of " << n << " bytes";
  }
  // Each format's reader refuses the other's.
  EXPECT_FALSE(parse_custom_toc(directory_toc()).ok());
  EXPECT_FALSE(parse_directory_toc(custom).ok());
  // An offset state pg_dump never writes.
  std::string odd = custom;
  odd[odd.size() - 9] = '\x07';
  EXPECT_FALSE(parse_custom_toc(odd).ok());
}

TEST(ArchiveConvert, FindsTheDeflateDataAfterAnyGzipHeader) {
  const std::string plain("\x1f\x8b\x08\x00\0\0\0\0\0\x03", 10);
  EXPECT_EQ(gzip_payload_start(plain + "data"), 10U);
  std::string named = plain;
  named[3] = '\x08';
  EXPECT_EQ(gzip_payload_start(named + std::string("x.dat\0data", 10)), 16U);
  EXPECT_FALSE(gzip_payload_start(named + "x.dat").has_value());  // name never ends
  std::string extra = plain;
  extra[3] = '\x04';
  EXPECT_EQ(gzip_payload_start(extra + std::string("\x03\0abc", 5)), 15U);
  EXPECT_FALSE(gzip_payload_start(extra + std::string("\xff\0abc", 5)).has_value());
  std::string reserved = plain;
  reserved[3] = '\x20';
  EXPECT_FALSE(gzip_payload_start(reserved).has_value());
  EXPECT_FALSE(gzip_payload_start("PGDMP\x01\x0e\0\4\x08\3").has_value());
}

TEST(ArchiveConvert, ReadsBlobsTocAndRefusesNamesThatAreNotItsOwn) {
  auto files = parse_blobs_toc("16427 blob_16427.dat\n9 blob_9.dat\n");
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 2U);
  EXPECT_EQ((*files)[0].oid, 16427U);
  EXPECT_EQ((*files)[1].filename, "blob_9.dat");
  EXPECT_TRUE(parse_blobs_toc("").ok());
  for (const char* bad :
       {"1 blob_2.dat\n", "1 ../blob_1.dat\n", "1 blob_1.dat", "x blob_x.dat\n", "0 blob_0.dat\n",
        "1  blob_1.dat\n", "99999999999 blob_99999999999.dat\n"}) {
    EXPECT_FALSE(parse_blobs_toc(bad).ok()) << bad;
  }
}

// Real dumps of a real database, converted and restored with PostgreSQL 15's own tools.
class ArchiveConvertTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sandbox_ = new SandboxEngine();
    engine_ = sandbox_->engine();
    ASSERT_NE(engine_, nullptr);
    auto loc = engine_->provision("addon-archive", plan("essential-0"));
    ASSERT_TRUE(loc.ok()) << loc.error().message;
    location_ = new DatabaseLocation(*loc);
    auto conn = admin(loc->database);
    for (const char* sql :
         {"CREATE TABLE items (id int PRIMARY KEY, note text)",
          "INSERT INTO items SELECT g, md5(g::text) || repeat('x', g % 50) FROM "
          "generate_series(1, 20000) g",
          "CREATE TABLE nothing_here (x int)", "SELECT lo_from_bytea(4242, 'a large object')",
          // An oid above 2^31, which pg_dump writes as the negative int it casts to.
          "SELECT lo_from_bytea(3000000000, 'a high one')"}) {
      ASSERT_TRUE(conn.query(sql).ok()) << sql;
    }
  }
  static void TearDownTestSuite() {
    engine_ = nullptr;
    delete location_;
    location_ = nullptr;
    delete sandbox_;  // stops the servers, removes the directory
    sandbox_ = nullptr;
  }

  static std::string admin_url(const std::string& database) {
    DatabaseLocation where = *location_;
    where.database = database;
    auto url = engine_->admin_url(where);
    EXPECT_TRUE(url.ok());
    return url.ok() ? *url : "";
  }
  static Connection admin(const std::string& database) {
    auto conn = Connection::open(ConnectParams::parse(admin_url(database)).value());
    EXPECT_TRUE(conn.ok()) << conn.error().message;
    return std::move(*conn);
  }

  static void run(const std::vector<std::string>& argv, const std::string& database) {
    auto env = daemon::libpq_env(admin_url(database));
    ASSERT_TRUE(env.ok());
    auto ran = daemon::run_tool(argv, *env, nullptr);
    ASSERT_TRUE(ran.ok()) << ran.error().message;
    ASSERT_TRUE(ran->succeeded) << argv[0] << ": " << ran->tail;
  }

  static fs::path dump_directory(const std::string& name, int compression) {
    const fs::path dir = sandbox_->root() / name;
    run({std::string(kBinDir) + "/pg_dump", "--format=directory", "--jobs=2",
         "--compress=" + std::to_string(compression), "--no-sync", "--file=" + dir.string()},
        location_->database);
    return dir;
  }

  // What a database holds, in one string: every row of items, nothing_here's count, the
  // large objects.
  static std::string contents(const std::string& database) {
    auto conn = admin(database);
    return scalar(conn,
                  "SELECT md5(string_agg(id || ':' || note, ',' ORDER BY id)) || '/' || "
                  "(SELECT count(*) FROM nothing_here) || '/' || "
                  "convert_from(lo_get(4242), 'UTF8') || '/' || "
                  "convert_from(lo_get(3000000000), 'UTF8') FROM items");
  }

  static void expect_restores_to_the_same(const fs::path& archive, const std::string& into) {
    auto conn = admin(location_->database);
    ASSERT_TRUE(conn.query("CREATE DATABASE " + into).ok());
    run({std::string(kBinDir) + "/pg_restore", "--no-owner", "--no-acl", "--exit-on-error",
         "--jobs=2", "--dbname=" + into, archive.string()},
        into);
    EXPECT_EQ(contents(into), contents(location_->database));
    EXPECT_NE(contents(into).find("/0/a large object/a high one"), std::string::npos);
  }

  static SandboxEngine* sandbox_;
  static Engine* engine_;
  static DatabaseLocation* location_;
};

// The tables a conversion found, with the rows it counted: "public.items=20000 ...".
std::string tables_of(const std::vector<DumpedTable>& tables) {
  std::string out;
  for (const auto& t : tables) {
    out += t.schema + "." + t.table + "=" + (t.rows ? std::to_string(*t.rows) : "?") + " ";
  }
  return out;
}
constexpr const char* kEveryTable = "public.items=20000 public.nothing_here=0 ";

SandboxEngine* ArchiveConvertTest::sandbox_ = nullptr;
Engine* ArchiveConvertTest::engine_ = nullptr;
DatabaseLocation* ArchiveConvertTest::location_ = nullptr;

TEST_F(ArchiveConvertTest, AGzipDirectoryDumpBecomesACustomArchiveThatRestoresTheSameData) {
  const fs::path dir = dump_directory("gz", 1);
  const fs::path out = sandbox_->root() / "gz.dump";
  auto converted = directory_dump_to_custom(dir, out, 2);
  ASSERT_TRUE(converted.ok()) << converted.error().message;
  EXPECT_EQ(tables_of(*converted), kEveryTable);  // counted while each file was checked
  std::ifstream in(out, std::ios::binary);
  std::string magic(11, '\0');
  in.read(magic.data(), 11);
  EXPECT_EQ(magic.substr(0, 5), "PGDMP");
  EXPECT_EQ(magic[10], static_cast<char>(kArchiveCustom));
  expect_restores_to_the_same(out, "from_gz");
}

TEST_F(ArchiveConvertTest, FilesCheckedWhilePgDumpWroteThemAreCopiedAsTheyAre) {
  const fs::path dir = sandbox_->root() / "followed";
  const std::atomic<bool> cancel{false};
  DumpFollower follower(dir, &cancel);
  ASSERT_EQ(dump_directory("followed", 1), dir);
  const CheckedFiles followed = follower.finish();
  const fs::path inflated = sandbox_->root() / "inflated.dump";
  ASSERT_TRUE(directory_dump_to_custom(dir, inflated, 2).ok());
  const fs::path copied = sandbox_->root() / "copied.dump";
  auto converted = directory_dump_to_custom(dir, copied, 2, nullptr, &followed);
  ASSERT_TRUE(converted.ok()) << converted.error().message;
  EXPECT_EQ(tables_of(*converted), kEveryTable);  // counted by the follower
  EXPECT_EQ(read_file(copied).value(), read_file(inflated).value());
  expect_restores_to_the_same(copied, "from_followed");

  // A checked file is trusted: its Adler-32 goes into the archive as given, without inflating
  // the file again. One whose extent does not match the file is checked again.
  CheckedFiles every;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".gz") continue;
    every.emplace(entry.path().filename().string(), check_gzip_file(entry.path()).value());
  }
  ASSERT_FALSE(every.empty());
  CheckedFiles misplaced = every;
  for (auto& [name, member] : misplaced) member.payload_size += 1;
  const fs::path rechecked = sandbox_->root() / "rechecked.dump";
  ASSERT_TRUE(directory_dump_to_custom(dir, rechecked, 2, nullptr, &misplaced).ok());
  EXPECT_EQ(read_file(rechecked).value(), read_file(inflated).value());
  CheckedFiles wrong = every;
  wrong.begin()->second.adler32 ^= 1;
  const fs::path trusted = sandbox_->root() / "trusted.dump";
  ASSERT_TRUE(directory_dump_to_custom(dir, trusted, 2, nullptr, &wrong).ok());
  EXPECT_NE(read_file(trusted).value(), read_file(inflated).value());
  // So are its rows; a file whose data did not end as COPY data does has no count.
  CheckedFiles uncounted = every;
  for (auto& [name, member] : uncounted) member.copy_rows.reset();
  auto without_counts = directory_dump_to_custom(dir, trusted, 2, nullptr, &uncounted);
  ASSERT_TRUE(without_counts.ok());
  EXPECT_EQ(tables_of(*without_counts), "public.items=? public.nothing_here=? ");
}

TEST_F(ArchiveConvertTest, AnUncompressedDirectoryDumpConvertsToo) {
  const fs::path dir = dump_directory("plain", 0);
  const fs::path out = sandbox_->root() / "plain.dump";
  auto converted = directory_dump_to_custom(dir, out, 1);
  ASSERT_TRUE(converted.ok()) << converted.error().message;
  EXPECT_EQ(tables_of(*converted), kEveryTable);  // counted as the files were copied
  expect_restores_to_the_same(out, "from_plain");
}

TEST_F(ArchiveConvertTest, ALargeObjectsOidIsWrittenAsPgDumpWritesIt) {
  // 3000000000 passes through pg_dump's int: sign byte 1, then 1294967296 little-endian.
  const std::string high_oid("\x01\x00\xA2\x2F\x4D", 5);
  const fs::path by_pg_dump = sandbox_->root() / "by_pg_dump.dump";
  run({std::string(kBinDir) + "/pg_dump", "--format=custom", "--compress=0", "--no-sync",
       "--file=" + by_pg_dump.string()},
      location_->database);
  const fs::path converted = sandbox_->root() / "oids.dump";
  ASSERT_TRUE(directory_dump_to_custom(dump_directory("oids", 0), converted, 1).ok());
  EXPECT_NE(read_file(by_pg_dump).value().find(high_oid), std::string::npos);
  EXPECT_NE(read_file(converted).value().find(high_oid), std::string::npos);
}

TEST_F(ArchiveConvertTest, ADamagedDataFileFailsTheConversionAndLeavesNoArchive) {
  const fs::path dir = dump_directory("damaged", 1);
  fs::path largest;
  for (const auto& file : fs::directory_iterator(dir)) {
    if (largest.empty() || file.file_size() > fs::file_size(largest)) largest = file.path();
  }
  {
    std::fstream f(largest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(largest) / 2));
    f.put('\xA5');
    f.seekp(static_cast<std::streamoff>(fs::file_size(largest) / 2 + 1));
    f.put('\x5A');
  }
  const fs::path out = sandbox_->root() / "damaged.dump";
  auto converted = directory_dump_to_custom(dir, out, 2);
  ASSERT_FALSE(converted.ok());
  EXPECT_NE(converted.error().message.find("corrupt"), std::string::npos)
      << converted.error().message;
  EXPECT_FALSE(fs::exists(out));

  fs::remove(largest);
  converted = directory_dump_to_custom(dir, out, 2);
  ASSERT_FALSE(converted.ok());
  EXPECT_NE(converted.error().message.find("missing data file"), std::string::npos);
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(ArchiveConvertTest, ACanceledConversionStopsAndLeavesNoArchive) {
  const fs::path dir = dump_directory("canceled", 1);
  const fs::path out = sandbox_->root() / "canceled.dump";
  const std::atomic<bool> cancel{true};
  auto converted = directory_dump_to_custom(dir, out, 2, &cancel);
  ASSERT_FALSE(converted.ok());
  EXPECT_EQ(converted.error().code, ErrorCode::kConflict);
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace slipway::addons::postgres
