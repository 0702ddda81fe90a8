// Schema creation, migrations and refusing files that are not (current) edgesoak databases.

#include "daemon/storage/reader.hpp"
#include "daemon/storage/schema.hpp"
#include "daemon/storage/writer.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace es::storage {
namespace {

using test::RawDb;
using test::TempDir;

TEST(StorageSchema, CreatesVersionedWalDatabase) {
  TempDir dir;
  const auto path = dir.file("new.db");
  {
    auto writer = Writer::open(path);
    ASSERT_TRUE(writer) << writer.error().message;
  }
  RawDb raw(path);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw.query_int("PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(raw.query_int("PRAGMA application_id"), 0x45534F4B);
  EXPECT_EQ(raw.query_text("PRAGMA journal_mode"), "wal");
  for (const char* table :
       {"runs", "run_meta", "segments", "sensors", "samples", "events", "inferences"}) {
    EXPECT_EQ(raw.query_int(std::string("SELECT count(*) FROM sqlite_schema WHERE type='table' "
                                        "AND name='") +
                            table + "'"),
              1)
        << table;
  }
}

TEST(StorageSchema, ReopeningCurrentVersionKeepsData) {
  TempDir dir;
  const auto path = dir.file("keep.db");
  {
    auto writer = Writer::open(path);
    ASSERT_TRUE(writer);
    ASSERT_TRUE((*writer)->begin_run(test::test_run_info()));
    ASSERT_TRUE((*writer)->finish_run(RunStatus::kCompleted));
  }
  auto writer = Writer::open(path);
  ASSERT_TRUE(writer) << writer.error().message;
  auto reader = Reader::open(path);
  ASSERT_TRUE(reader);
  auto runs = (*reader)->runs();
  ASSERT_TRUE(runs);
  EXPECT_EQ(runs->size(), 1U);
}

TEST(StorageSchema, MigratesEmptyVersionZeroFile) {
  TempDir dir;
  const auto path = dir.file("v0.db");
  {
    // A valid SQLite file at user_version 0 with no tables (what a v0 edgesoak file is).
    RawDb raw(path, /*create=*/true);
    raw.exec("PRAGMA page_size = 4096; VACUUM;");
    EXPECT_EQ(raw.query_int("PRAGMA user_version"), 0);
  }
  ASSERT_GT(std::filesystem::file_size(path), 0U);
  auto writer = Writer::open(path);
  ASSERT_TRUE(writer) << writer.error().message;
  writer->reset();
  RawDb raw(path);
  EXPECT_EQ(raw.query_int("PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM sqlite_schema WHERE name='inferences'"), 1);
}

TEST(StorageSchema, MigratesZeroLengthFile) {
  TempDir dir;
  const auto path = dir.file("empty.db");
  { std::ofstream touch(path); }
  auto writer = Writer::open(path);
  ASSERT_TRUE(writer) << writer.error().message;
}

TEST(StorageSchema, RefusesNewerSchemaVersion) {
  TempDir dir;
  const auto path = dir.file("future.db");
  {
    auto writer = Writer::open(path);
    ASSERT_TRUE(writer);
  }
  {
    RawDb raw(path);
    raw.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion + 1));
  }
  auto writer = Writer::open(path);
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error().code, ErrorCode::kDatabase);
  EXPECT_NE(writer.error().message.find("newer"), std::string::npos) << writer.error().message;
  EXPECT_NE(writer.error().message.find("future.db"), std::string::npos);

  auto reader = Reader::open(path);
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().code, ErrorCode::kDatabase);
  EXPECT_NE(reader.error().message.find("newer"), std::string::npos) << reader.error().message;
}

TEST(StorageSchema, RefusesTextFile) {
  TempDir dir;
  const auto path = dir.file("config.yaml");
  {
    std::ofstream out(path);
    for (int i = 0; i < 100; ++i) {
      out << "name: not a database\nduration: 3h\n";
    }
  }
  auto writer = Writer::open(path);
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error().code, ErrorCode::kDatabase);
  EXPECT_NE(writer.error().message.find("not an SQLite database"), std::string::npos)
      << writer.error().message;
  auto reader = Reader::open(path);
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().code, ErrorCode::kDatabase);
  // The file was not touched.
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "name: not a database");
}

TEST(StorageSchema, RefusesForeignSqliteDatabase) {
  TempDir dir;
  const auto path = dir.file("other.db");
  {
    RawDb raw(path, /*create=*/true);
    raw.exec("CREATE TABLE contacts(name TEXT)");
  }
  auto writer = Writer::open(path);
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error().code, ErrorCode::kDatabase);
  EXPECT_NE(writer.error().message.find("not an edgesoak database"), std::string::npos)
      << writer.error().message;
  {
    RawDb raw(path);
    raw.exec("PRAGMA user_version = 1");
  }
  auto again = Writer::open(path);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("application_id"), std::string::npos)
      << again.error().message;
}

TEST(StorageSchema, ReaderRefusesMissingAndUnmigratedFiles) {
  TempDir dir;
  auto missing = Reader::open(dir.file("missing.db"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.file("missing.db")));

  const auto path = dir.file("v0.db");
  {
    RawDb raw(path, /*create=*/true);
    raw.exec("VACUUM");
  }
  auto v0 = Reader::open(path);
  ASSERT_FALSE(v0);
  EXPECT_EQ(v0.error().code, ErrorCode::kDatabase);
}

TEST(StorageSchema, RunStatusRoundTrips) {
  for (const RunStatus s :
       {RunStatus::kRunning, RunStatus::kCompleted, RunStatus::kStopped, RunStatus::kAborted}) {
    EXPECT_EQ(run_status_from_string(to_string(s)), s);
  }
  EXPECT_FALSE(run_status_from_string("finished").has_value());
}

} // namespace
} // namespace es::storage
