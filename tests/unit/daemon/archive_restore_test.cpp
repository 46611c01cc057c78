// Restores that load large tables over several connections at once, against a real PostgreSQL
// 15 server and archives written by the real pg_dump: the restored database is the same as the
// dumped one (schema, every row of awkward text, sequences, large objects, keys), the rows did
// come in over more than one session, and damage, cancels and archives whose TOC is not read
// end as a single pg_restore would.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../addons/postgres_test_support.h"
#include "addons/postgres/split_load.h"
#include "addons/postgres/table_data.h"
#include "common/fs.h"
#include "daemon/archive_restore.h"
#include "daemon/pg_tools.h"

namespace slipway::daemon {
namespace {

namespace fs = std::filesystem;
namespace pg = addons::postgres;
using pg::testing::kBinDir;
using pg::testing::scalar;

class ArchiveRestoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sandbox_ = new pg::testing::SandboxEngine();
    ASSERT_NE(sandbox_->engine(), nullptr);
    auto loc = sandbox_->engine()->provision("addon-split", pg::testing::plan("essential-0"));
    ASSERT_TRUE(loc.ok()) << loc.error().message;
    location_ = new pg::DatabaseLocation(*loc);
    auto conn = admin(loc->database);
    for (const char* sql :
         {"CREATE TABLE items (id serial PRIMARY KEY, note text CHECK (note <> 'forbidden'),"
          " at timestamptz, blob bytea)",
          // Values COPY escapes: newlines, tabs, backslashes, "\." on a line, NULLs, non-ASCII.
          "INSERT INTO items (note, at, blob) SELECT CASE g % 7 WHEN 0 THEN E'two\\nlines'"
          " WHEN 1 THEN E'tab\\there' WHEN 2 THEN E'back\\\\slash' WHEN 3 THEN E'\\\\.'"
          " WHEN 4 THEN NULL WHEN 5 THEN 'ünïcødé ✓' ELSE md5(g::text) || repeat('x', g % 90)"
          " END, '2026-01-01'::timestamptz + g * interval '1 minute',"
          " decode(md5(g::text), 'hex') FROM generate_series(1, 120000) g",
          "CREATE TABLE refs (item int REFERENCES items, label text)",
          "INSERT INTO refs SELECT g, 'r' || g FROM generate_series(1, 500) g",
          "CREATE INDEX refs_label ON refs (label)",
          // A trigger (post-data) that would refuse every row were it there during the load.
          "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
          " $$BEGIN RAISE EXCEPTION 'no'; END$$",
          "CREATE TRIGGER no_more BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION refuse()",
          "CREATE TABLE nothing_here (x int)", "SELECT lo_from_bytea(4242, 'a large object')",
          "SELECT setval('items_id_seq', 777777)"}) {
      ASSERT_TRUE(conn.query(sql).ok()) << sql;
    }
  }
  static void TearDownTestSuite() {
    delete location_;
    location_ = nullptr;
    delete sandbox_;
    sandbox_ = nullptr;
  }

  static std::string admin_url(const std::string& database) {
    pg::DatabaseLocation where = *location_;
    where.database = database;
    return sandbox_->engine()->admin_url(where).value();
  }
  static pg::Connection admin(const std::string& database) {
    auto conn = pg::Connection::open(pg::ConnectParams::parse(admin_url(database)).value());
    EXPECT_TRUE(conn.ok()) << conn.error().message;
    return std::move(*conn);
  }
  static ToolOutcome run(const std::vector<std::string>& argv, const std::string& database) {
    auto env = libpq_env(admin_url(database));
    EXPECT_TRUE(env.ok());
    auto ran = run_tool(argv, *env, nullptr);
    EXPECT_TRUE(ran.ok());
    return ran.ok() ? *ran : ToolOutcome{};
  }
  static fs::path dump(const std::string& name, const std::vector<std::string>& options) {
    const fs::path file = sandbox_->root() / name;
    std::vector<std::string> argv = {std::string(kBinDir) + "/pg_dump", "--no-sync",
                                     "--file=" + file.string()};
    argv.insert(argv.end(), options.begin(), options.end());
    EXPECT_TRUE(run(argv, location_->database).succeeded);
    return file;
  }
  static std::string schema(const std::string& database) {
    const fs::path file = sandbox_->root() / (database + ".sql");
    EXPECT_TRUE(run({std::string(kBinDir) + "/pg_dump", "--schema-only", "--no-owner",
                     "--restrict-key=ArchiveRestoreTest", "--file=" + file.string()},
                    database)
                    .succeeded);
    auto text = read_file(file);
    return text.ok() ? *text : "";
  }
  // Every row of every table, the sequence and the large object, in one string.
  static std::string contents(const std::string& database) {
    auto conn = admin(database);
    return scalar(conn,
                  "SELECT md5(string_agg(format('%s|%s|%s|%s', id, note, at, blob), ','"
                  " ORDER BY id)) || '/' || count(*) || '/' ||"
                  " (SELECT md5(string_agg(item || label, ',' ORDER BY item)) FROM refs) || '/' ||"
                  " (SELECT count(*) FROM nothing_here) || '/' ||"
                  " (SELECT last_value FROM items_id_seq) || '/' ||"
                  " convert_from(lo_get(4242), 'UTF8') FROM items");
  }
  static std::string fresh_database(const std::string& name) {
    auto conn = admin(location_->database);
    EXPECT_TRUE(conn.query("CREATE DATABASE " + name).ok());
    return name;
  }
  static ArchiveRestore restore_into(const std::string& database, const fs::path& archive) {
    ArchiveRestore restore;
    restore.pg_restore = std::string(kBinDir) + "/pg_restore";
    restore.archive = archive;
    restore.url = admin_url(database);
    restore.options = {"--no-owner", "--no-acl", "--exit-on-error"};
    restore.jobs = 3;
    restore.split_table_bytes = 256 << 10;  // items' data, not refs'
    restore.piece_bytes = 64 << 10;
    return restore;
  }

  static pg::testing::SandboxEngine* sandbox_;
  static pg::DatabaseLocation* location_;
};

pg::testing::SandboxEngine* ArchiveRestoreTest::sandbox_ = nullptr;
pg::DatabaseLocation* ArchiveRestoreTest::location_ = nullptr;

TEST_F(ArchiveRestoreTest, ALargeTableIsLoadedOverSeveralSessionsAndTheDatabaseIsTheSame) {
  for (const std::string compress : {"0", "1"}) {
    SCOPED_TRACE("pg_dump -Fc -Z" + compress);
    const fs::path archive = dump("z" + compress + ".dump", {"-Fc", "-Z" + compress});
    const std::string into = fresh_database("split_z" + compress);
    std::vector<std::string> logged;
    ArchiveRestore restore = restore_into(into, archive);
    restore.log = [&](const std::string& line) { logged.push_back(line); };
    auto restored = restore_archive_using_every_core(restore);
    ASSERT_TRUE(restored.ok()) << restored.error().message;
    ASSERT_TRUE(restored->succeeded) << restored->tail;
    ASSERT_EQ(logged.size(), 1U);
    EXPECT_TRUE(logged[0].starts_with("Loading public.items (")) << logged[0];
    EXPECT_EQ(contents(into), contents(location_->database));
    EXPECT_NE(contents(into).find("/120000/"), std::string::npos);
    EXPECT_EQ(schema(into), schema(location_->database));
    // Each session commits its own COPY: the rows carry more than one inserting transaction.
    auto conn = admin(into);
    EXPECT_GE(std::stoi(scalar(conn, "SELECT count(DISTINCT xmin::text) FROM items")), 2);
    EXPECT_EQ(scalar(conn, "SELECT count(DISTINCT xmin::text) FROM refs"), "1");
  }
}

TEST_F(ArchiveRestoreTest, ATableIsLoadedOverAtMostEightSessionsHoweverManyJobs) {
  const fs::path archive = dump("many.dump", {"-Fc", "-Z1"});
  const std::string into = fresh_database("split_many");
  std::vector<std::string> logged;
  ArchiveRestore restore = restore_into(into, archive);
  restore.jobs = 12;
  restore.log = [&](const std::string& line) { logged.push_back(line); };
  auto restored = restore_archive_using_every_core(restore);
  ASSERT_TRUE(restored.ok() && restored->succeeded);
  ASSERT_EQ(logged.size(), 1U);
  EXPECT_TRUE(logged[0].ends_with(" over 8 connections at once")) << logged[0];
  EXPECT_EQ(contents(into), contents(location_->database));
}

TEST_F(ArchiveRestoreTest, AnArchiveWithoutDataOffsetsIsRestoredByOnePgRestore) {
  // pg_dump writing to a pipe cannot go back to record where each block starts.
  const fs::path archive = sandbox_->root() / "piped.dump";
  ASSERT_TRUE(
      run({"/bin/sh", "-c", std::string(kBinDir) + "/pg_dump -Fc | /bin/cat > " + archive.string()},
          location_->database)
          .succeeded);
  auto toc = pg::read_custom_toc(archive);
  ASSERT_TRUE(toc.ok()) << toc.error().message;
  EXPECT_TRUE(pg::table_data_blocks(*toc, fs::file_size(archive)).empty());
  const std::string into = fresh_database("split_piped");
  std::vector<std::string> logged;
  ArchiveRestore restore = restore_into(into, archive);
  restore.log = [&](const std::string& line) { logged.push_back(line); };
  auto restored = restore_archive_using_every_core(restore);
  ASSERT_TRUE(restored.ok() && restored->succeeded);
  EXPECT_TRUE(logged.empty());
  EXPECT_EQ(contents(into), contents(location_->database));
  auto conn = admin(into);
  EXPECT_EQ(scalar(conn, "SELECT count(DISTINCT xmin::text) FROM items"), "1");
}

TEST_F(ArchiveRestoreTest, DamageInALargeTablesDataFailsTheRestoreWithItsName) {
  const fs::path archive = dump("damaged.dump", {"-Fc", "-Z1"});
  auto toc = pg::read_custom_toc(archive).value();
  const auto blocks = pg::table_data_blocks(toc, fs::file_size(archive));
  const pg::TableDataBlock* items = nullptr;
  for (const auto& block : blocks) {
    if (block.entry->tag == "items") items = &block;
  }
  ASSERT_NE(items, nullptr);
  {
    std::fstream f(archive, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(items->entry->data.offset + items->size / 2));
    f.write("\xde\xad\xbe\xef\xde\xad\xbe\xef", 8);
  }
  auto restored =
      restore_archive_using_every_core(restore_into(fresh_database("split_bad"), archive));
  ASSERT_TRUE(restored.ok());
  EXPECT_FALSE(restored->succeeded);
  EXPECT_FALSE(restored->canceled);
  EXPECT_NE(restored->tail.find("public.items"), std::string::npos) << restored->tail;
}

TEST_F(ArchiveRestoreTest, ACancelDuringTheLoadEndsItAsCanceled) {
  const fs::path archive = dump("cancel.dump", {"-Fc", "-Z1"});
  std::atomic<bool> cancel{false};
  ArchiveRestore restore = restore_into(fresh_database("split_cancel"), archive);
  restore.cancel = &cancel;
  restore.log = [&](const std::string&) { cancel = true; };  // as the load begins
  auto restored = restore_archive_using_every_core(restore);
  ASSERT_TRUE(restored.ok());
  EXPECT_FALSE(restored->succeeded);
  EXPECT_TRUE(restored->canceled);
}

TEST_F(ArchiveRestoreTest, TheRowsReadFromTheArchiveAreWhatCopyWrites) {
  auto conn = admin(location_->database);
  auto copied = run({"/bin/sh", "-c",
                     std::string(kBinDir) + "/psql -Atqc 'COPY public.items TO STDOUT' > " +
                         (sandbox_->root() / "items.copy").string()},
                    location_->database);
  ASSERT_TRUE(copied.succeeded) << copied.tail;
  const std::string expected = read_file(sandbox_->root() / "items.copy").value();
  for (const std::string compress : {"0", "6"}) {
    const fs::path archive = dump("rows" + compress + ".dump", {"-Fc", "-Z" + compress});
    auto toc = pg::read_custom_toc(archive).value();
    const pg::ArchiveTocEntry* items = nullptr;
    for (const auto& entry : toc.entries) {
      if (entry.desc == "TABLE DATA" && entry.tag == "items") items = &entry;
    }
    ASSERT_NE(items, nullptr);
    EXPECT_EQ(items->schema, "public");
    EXPECT_EQ(items->copy_stmt, "COPY public.items (id, note, at, blob) FROM stdin;\n");
    EXPECT_EQ(pg::archive_client_encoding(toc), "UTF8");
    std::ifstream in(archive, std::ios::binary);
    std::string rows;
    int pieces = 0;
    auto read = pg::read_table_rows(in, toc, *items, 100000, [&](std::string&& piece) {
      EXPECT_EQ(piece.back(), '\n');
      rows += piece;
      ++pieces;
      return Status{};
    });
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_GT(pieces, 10);
    // Not EXPECT_EQ: a diff of megabytes of text would take minutes to print.
    EXPECT_EQ(rows.size(), expected.size());
    EXPECT_TRUE(rows == expected)
        << "first difference at byte "
        << std::distance(
               rows.begin(),
               std::mismatch(rows.begin(), rows.end(), expected.begin(), expected.end()).first);
  }
}

}  // namespace
}  // namespace slipway::daemon
