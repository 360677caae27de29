#include "xacbe/file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "support/temp_dir.hpp"

namespace xacbe {
namespace {

TEST(FileTest, ReadsWhatAnAtomicWriteWrote) {
  testing::TempDir dir;
  const std::string path = dir.file("a.txt");
  ASSERT_TRUE(write_file_atomic(path, std::string("línea\n\0fin", 11), 0600).is_ok());
  auto read = read_file(path);
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  EXPECT_EQ(*read, std::string("línea\n\0fin", 11));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(FileTest, RefusesAFileOverTheLimitWithoutReadingItAll) {
  testing::TempDir dir;
  const std::string path = dir.file("big.bin");
  ASSERT_TRUE(write_file_atomic(path, std::string(200'000, 'x')).is_ok());
  EXPECT_TRUE(read_file(path, 200'000).is_ok());
  auto refused = read_file(path, 199'999);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("more than 199999 bytes"), std::string::npos)
      << refused.status().to_string();
  // A device that never ends is refused at the limit, not read forever.
  auto endless = read_file("/dev/zero", 1 << 20);
  ASSERT_FALSE(endless.is_ok());
  EXPECT_EQ(endless.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(read_file(dir.file("missing")).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace xacbe
