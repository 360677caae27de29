#include "merkle.hpp"

#include <bit>

#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ss {
namespace {

constexpr std::size_t kHashBytes = 32;

Status check_leaves(const std::vector<std::string>& leaf_hashes) {
  if (leaf_hashes.empty()) return invalid_argument("a Merkle tree needs at least one leaf");
  for (const auto& leaf : leaf_hashes) {
    if (leaf.size() != kHashBytes) return invalid_argument("a Merkle leaf hash is not 32 bytes");
  }
  return Status::ok();
}

// The largest power of two smaller than n (n >= 2): RFC 6962's split point k.
std::size_t split(std::size_t n) { return std::bit_floor(n - 1); }

// Root of leaves [lo, hi); appends this level's sibling to the path of every leaf in the range
// after the deeper ones, so paths run from the leaf up.
std::string build(const std::vector<std::string>& leaves, std::size_t lo, std::size_t hi,
                  std::vector<std::vector<std::string>>* paths) {
  if (hi - lo == 1) return leaves[lo];
  const std::size_t mid = lo + split(hi - lo);
  std::string left = build(leaves, lo, mid, paths);
  std::string right = build(leaves, mid, hi, paths);
  if (paths != nullptr) {
    for (std::size_t i = lo; i < mid; ++i) (*paths)[i].push_back(right);
    for (std::size_t i = mid; i < hi; ++i) (*paths)[i].push_back(left);
  }
  return merkle_node_hash(left, right);
}

}  // namespace

std::string merkle_leaf_hash(std::string_view data) {
  std::string input(1, '\x00');
  input.append(data);
  return crypto::sha256(input);
}

std::string merkle_node_hash(std::string_view left, std::string_view right) {
  std::string input(1, '\x01');
  input.append(left);
  input.append(right);
  return crypto::sha256(input);
}

Result<std::string> merkle_root(const std::vector<std::string>& leaf_hashes) {
  XACBE_RETURN_IF_ERROR(check_leaves(leaf_hashes));
  return build(leaf_hashes, 0, leaf_hashes.size(), nullptr);
}

Result<std::vector<std::vector<std::string>>> merkle_audit_paths(const std::vector<std::string>& leaf_hashes) {
  XACBE_RETURN_IF_ERROR(check_leaves(leaf_hashes));
  std::vector<std::vector<std::string>> paths(leaf_hashes.size());
  build(leaf_hashes, 0, leaf_hashes.size(), &paths);
  return paths;
}

Result<std::vector<std::string>> merkle_audit_path(const std::vector<std::string>& leaf_hashes, std::size_t index) {
  if (index >= leaf_hashes.size()) return invalid_argument("Merkle leaf index out of range");
  XACBE_ASSIGN_OR_RETURN(auto paths, merkle_audit_paths(leaf_hashes));
  return std::move(paths[index]);
}

Result<std::string> merkle_root_from_path(std::string_view leaf_hash, std::size_t index, std::size_t size,
                                          const std::vector<std::string>& path) {
  if (index >= size) return invalid_argument("Merkle leaf index out of range");
  if (leaf_hash.size() != kHashBytes) return invalid_argument("a Merkle leaf hash is not 32 bytes");
  std::size_t fn = index;
  std::size_t sn = size - 1;
  std::string r(leaf_hash);
  for (const auto& p : path) {
    if (p.size() != kHashBytes) return invalid_argument("a Merkle path hash is not 32 bytes");
    if (sn == 0) return invalid_argument("Merkle audit path too long");
    if ((fn & 1) != 0 || fn == sn) {
      r = merkle_node_hash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = merkle_node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return invalid_argument("Merkle audit path too short");
  return r;
}

}  // namespace xacbe::ss
