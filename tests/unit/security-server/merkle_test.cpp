#include "merkle.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ss {
namespace {

std::vector<std::string> leaves(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(merkle_leaf_hash("leaf " + std::to_string(i)));
  return out;
}

TEST(Merkle, EmptyTreeHashIsNotDefinedHere) {
  EXPECT_EQ(merkle_root({}).status().code(), Code::kInvalidArgument);
}

// RFC 6962 section 2.1: the leaf and node hashes carry the 0x00 / 0x01 prefixes.
TEST(Merkle, LeafAndNodeHashesArePrefixed) {
  EXPECT_EQ(crypto::to_hex(merkle_leaf_hash("")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");  // SHA-256(0x00)
  const std::string a = merkle_leaf_hash("a"), b = merkle_leaf_hash("b");
  EXPECT_EQ(merkle_node_hash(a, b), crypto::sha256(std::string(1, '\x01') + a + b));
  EXPECT_EQ(*merkle_root({a}), a);
  EXPECT_EQ(*merkle_root({a, b}), merkle_node_hash(a, b));
}

// Three leaves split 2 + 1 (largest power of two below n).
TEST(Merkle, UnbalancedTreeSplitsAtPowerOfTwo) {
  const auto l = leaves(3);
  EXPECT_EQ(*merkle_root(l), merkle_node_hash(merkle_node_hash(l[0], l[1]), l[2]));
  EXPECT_EQ(*merkle_audit_path(l, 2), (std::vector<std::string>{merkle_node_hash(l[0], l[1])}));
  EXPECT_EQ(*merkle_audit_path(l, 0), (std::vector<std::string>{l[1], l[2]}));
}

TEST(Merkle, EveryPathLeadsToTheRootForManySizes) {
  for (std::size_t n : {1u, 2u, 3u, 4u, 5u, 7u, 8u, 9u, 31u, 100u}) {
    const auto l = leaves(n);
    const std::string root = *merkle_root(l);
    const auto paths = *merkle_audit_paths(l);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(*merkle_root_from_path(l[i], i, n, paths[i]), root) << n << " " << i;
      EXPECT_EQ(*merkle_audit_path(l, i), paths[i]);
    }
  }
}

TEST(Merkle, WrongLeafIndexOrPathDoesNotLeadToTheRoot) {
  const auto l = leaves(7);
  const std::string root = *merkle_root(l);
  const auto paths = *merkle_audit_paths(l);
  EXPECT_NE(*merkle_root_from_path(l[3], 2, 7, paths[3]), root);
  EXPECT_NE(*merkle_root_from_path(l[4], 3, 7, paths[3]), root);
  auto bad = paths[3];
  bad[0][0] ^= 1;
  EXPECT_NE(*merkle_root_from_path(l[3], 3, 7, bad), root);
  auto longer = paths[3];
  longer.push_back(root);
  EXPECT_FALSE(merkle_root_from_path(l[3], 3, 7, longer).is_ok());
  auto shorter = paths[3];
  shorter.pop_back();
  EXPECT_FALSE(merkle_root_from_path(l[3], 3, 7, shorter).is_ok());
  EXPECT_FALSE(merkle_root_from_path(l[3], 7, 7, paths[3]).is_ok());
  EXPECT_FALSE(merkle_root_from_path("short", 3, 7, paths[3]).is_ok());
}

}  // namespace
}  // namespace xacbe::ss
