#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"
#include "xacbe/store/database.hpp"
#include "timestamp_authority.hpp"

namespace xacbe::tsa {
namespace {

class StoredSerialSourceTest : public ::testing::Test {
 protected:
  std::unique_ptr<StoredSerialSource> open_source(std::uint64_t block_size) {
    auto db = store::Database::open(path_);
    EXPECT_TRUE(db) << db.status().to_string();
    auto source = StoredSerialSource::create(std::move(db).value(), block_size);
    EXPECT_TRUE(source) << source.status().to_string();
    return std::move(source).value();
  }

  // The high-water mark as another connection (another process after a crash) sees it.
  std::int64_t stored_next_block() {
    auto db = store::Database::open(path_);
    auto select = db.value()->prepare("SELECT next_block FROM tsa_serial WHERE id = 1");
    EXPECT_TRUE(select->step().value());
    return select->column_int64(0);
  }

  static std::uint64_t take(StoredSerialSource& source) {
    auto serial = source.next();
    EXPECT_TRUE(serial) << serial.status().to_string();
    return serial ? *serial : 0;
  }

  testing::TempDir dir_;
  std::string path_ = dir_.file("tsa.db");
};

TEST_F(StoredSerialSourceTest, SerialsStartAtOneAndStrictlyIncrease) {
  auto source = open_source(5);
  std::uint64_t previous = 0;
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t serial = take(*source);
    if (i == 0) {
      EXPECT_EQ(serial, 1u);
    }
    EXPECT_GT(serial, previous);
    previous = serial;
  }
}

TEST_F(StoredSerialSourceTest, BlockIsCommittedBeforeItsFirstSerialIsHandedOut) {
  auto source = open_source(10);
  const std::uint64_t first = take(*source);
  // Durable mark above the serial just issued, before the block is used up.
  EXPECT_GT(stored_next_block(), static_cast<std::int64_t>(first));
  EXPECT_EQ(stored_next_block(), 11);
  for (int i = 0; i < 9; ++i) take(*source);
  EXPECT_EQ(stored_next_block(), 11);  // still inside the first block
  EXPECT_EQ(take(*source), 11u);
  EXPECT_EQ(stored_next_block(), 21);
}

TEST_F(StoredSerialSourceTest, RestartNeverYieldsAnEarlierSerial) {
  std::uint64_t highest = 0;
  for (int run = 0; run < 5; ++run) {
    auto source = open_source(16);  // simulated restart: a new connection and a new object
    for (int i = 0; i < 3 + run; ++i) {
      const std::uint64_t serial = take(*source);
      EXPECT_GT(serial, highest) << "run " << run;
      highest = serial;
    }
  }
}

TEST_F(StoredSerialSourceTest, ChangingBlockSizeAcrossRestartNeverReusesSerials) {
  std::uint64_t highest = 0;
  for (std::uint64_t block : {1000u, 3u, 1u, 50u}) {
    auto source = open_source(block);
    for (int i = 0; i < 4; ++i) {
      const std::uint64_t serial = take(*source);
      EXPECT_GT(serial, highest) << "block size " << block;
      highest = serial;
    }
  }
}

// A serial file as the releases before schema_versions left it (version in PRAGMA user_version):
// adopted in place, its high-water mark kept, so no serial is ever handed out twice.
TEST_F(StoredSerialSourceTest, AdoptsAFileMadeBeforeSchemaVersionsAndKeepsItsHighWaterMark) {
  {
    auto db = store::Database::open(path_);
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->exec(R"(BEGIN;
      CREATE TABLE tsa_serial(
         id INTEGER PRIMARY KEY CHECK(id = 1),
         next_block INTEGER NOT NULL);
       INSERT INTO tsa_serial(id, next_block) VALUES (1, 1);
       PRAGMA user_version=1;
       COMMIT;
       UPDATE tsa_serial SET next_block = 5121 WHERE id = 1;)")
                    .is_ok());
  }
  auto source = open_source(1024);
  EXPECT_EQ(take(*source), 5121u);
  EXPECT_EQ(stored_next_block(), 5121 + 1024);
  auto db = store::Database::open(path_);
  ASSERT_TRUE(db);
  EXPECT_EQ((*db)->schema_version("tsa-serial"), 1);
}

TEST_F(StoredSerialSourceTest, ConcurrentNextYieldsNoDuplicates) {
  auto source = open_source(7);  // small blocks: many reservations race with next()
  constexpr int kThreads = 6;
  constexpr int kPerThread = 400;
  std::vector<std::vector<std::uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto serial = source->next();
        if (serial) got[t].push_back(*serial);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::uint64_t> unique;
  for (const auto& serials : got) {
    EXPECT_EQ(serials.size(), static_cast<std::size_t>(kPerThread));
    for (std::size_t i = 1; i < serials.size(); ++i) EXPECT_LT(serials[i - 1], serials[i]);
    unique.insert(serials.begin(), serials.end());
  }
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST_F(StoredSerialSourceTest, ExhaustedSerialSpaceIsAnErrorNotAWrap) {
  { auto source = open_source(10); }
  {
    auto db = store::Database::open(path_);
    const auto near_end = std::numeric_limits<std::int64_t>::max() - 5;
    ASSERT_TRUE(db.value()->exec("UPDATE tsa_serial SET next_block = " + std::to_string(near_end)));
  }
  auto source = open_source(10);
  auto serial = source->next();
  ASSERT_FALSE(serial);
  EXPECT_EQ(serial.status().code(), Code::kFailedPrecondition);
}

TEST_F(StoredSerialSourceTest, CorruptHighWaterMarkIsReported) {
  { auto source = open_source(10); }
  {
    auto db = store::Database::open(path_);
    ASSERT_TRUE(db.value()->exec("UPDATE tsa_serial SET next_block = -4"));
  }
  auto source = open_source(10);
  auto serial = source->next();
  ASSERT_FALSE(serial);
  EXPECT_EQ(serial.status().code(), Code::kCorrupt);
}

TEST_F(StoredSerialSourceTest, RefusesBadArguments) {
  EXPECT_FALSE(StoredSerialSource::create(nullptr, 10));
  auto db = store::Database::open(path_);
  ASSERT_TRUE(db);
  auto zero = StoredSerialSource::create(std::move(db).value(), 0);
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace xacbe::tsa
