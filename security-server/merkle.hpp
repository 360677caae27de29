#pragma once
// Merkle trees over SHA-256 digests, as RFC 6962 section 2.1 defines them (the hashes of Certificate
// Transparency): a leaf is SHA-256(0x00 || data), an inner node SHA-256(0x01 || left || right), and a
// tree of n leaves splits at the largest power of two below n. The security server uses one for
// batch signing (one e-stamp signature over the root of many messages' digests) and one for batch
// timestamping (one RFC 3161 token over the root of many register records' hashes); each message or
// record keeps its audit path. docs/protocol/e-stamp.md and query-register.md give the same rules.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/result.hpp"

namespace xacbe::ss {

// SHA-256(0x00 || data), raw 32 bytes.
std::string merkle_leaf_hash(std::string_view data);
// SHA-256(0x01 || left || right), raw 32 bytes.
std::string merkle_node_hash(std::string_view left, std::string_view right);

// The root (raw 32 bytes) over leaf hashes (each raw 32 bytes, as merkle_leaf_hash gives them).
// kInvalidArgument for no leaves or a leaf that is not 32 bytes.
Result<std::string> merkle_root(const std::vector<std::string>& leaf_hashes);

// The audit path of leaf `index` in a tree of leaf_hashes.size() leaves (RFC 6962 section 2.1.1,
// PATH(m, D[n])): sibling hashes from the leaf up. Empty for a tree of one leaf.
Result<std::vector<std::string>> merkle_audit_path(const std::vector<std::string>& leaf_hashes, std::size_t index);

// Every leaf's audit path at once, in O(n log n) (the batch signer and timestamper need them all).
Result<std::vector<std::vector<std::string>>> merkle_audit_paths(const std::vector<std::string>& leaf_hashes);

// The root that `leaf_hash` at `index` of a tree of `size` leaves leads to through `path`
// (RFC 9162 section 2.1.3.2). kInvalidArgument when index >= size, a hash is not 32 bytes, or the
// path has the wrong length for (index, size). The caller compares the result with the signed root.
Result<std::string> merkle_root_from_path(std::string_view leaf_hash, std::size_t index, std::size_t size,
                                          const std::vector<std::string>& path);

}  // namespace xacbe::ss
