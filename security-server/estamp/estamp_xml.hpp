#pragma once
// The e-stamp document of docs/protocol/e-stamp.md: building its elements and reading it back
// strictly (every element in its place, nothing unknown, missing or repeated). Private to the
// e-stamp code; signing and verifying with xmlsec live in estamp_sign.cpp and estamp_verify.cpp.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "estamp/estamp.hpp"
#include "estamp/xml_security.hpp"

namespace xacbe::ss::estamp_xml {

inline constexpr const char* kNamespace = "urn:xacbe:estamp:1";
inline constexpr const char* kPrefix = "e";
inline constexpr const char* kDsNamespace = "http://www.w3.org/2000/09/xmldsig#";
inline constexpr const char* kMessageId = "message";
inline constexpr const char* kBatchId = "batch";
inline constexpr const char* kSignedPropertiesId = "signed-properties";

// Algorithms an e-stamp may use (docs/protocol/e-stamp.md "Algorithms").
inline constexpr const char* kExcC14n = "http://www.w3.org/2001/10/xml-exc-c14n#";
bool is_allowed_digest_method(std::string_view uri);
bool is_allowed_signature_method(std::string_view uri);

// A new document whose root is an empty <e:EStamp version="1">.
Result<xml::DocPtr> new_estamp_document();
// The e namespace declared on the root.
xmlNs* estamp_ns(xmlDoc* doc);

// Unlinked elements for `doc` (the caller links them), all in the e namespace of the root.
xmlNode* build_message(xmlDoc* doc, const StampContent& content);
xmlNode* build_batch(xmlDoc* doc, std::string_view root_hash, std::size_t size);
xmlNode* build_proof(xmlDoc* doc, std::size_t index, const std::vector<std::string>& path);
xmlNode* build_signed_properties(xmlDoc* doc, std::chrono::sys_seconds signing_time, std::string_view cert_sha256);
xmlNode* build_ocsp_response(xmlDoc* doc, std::string_view ocsp_der);

// The batch leaf of a message: merkle_leaf_hash of the exclusive canonical form of its Message
// element.
Result<std::string> message_leaf_hash(xmlDoc* doc, xmlNode* message);

// Registers the Id attribute of `element` as an XML ID so that "#value" references resolve to it.
// False when the document already has that ID.
bool register_id(xmlDoc* doc, xmlNode* element);

struct ParsedBatch {
  std::string root;  // raw 32 bytes
  std::size_t size = 0;
  std::size_t index = 0;
  std::vector<std::string> path;  // raw 32-byte hashes, leaf up
};

// A document that has the exact shape of an e-stamp; nothing in it is verified yet.
struct ParsedEStamp {
  xml::DocPtr doc;
  StampContent content;
  xmlNode* message = nullptr;
  xmlNode* batch = nullptr;  // the Batch element, or null for a directly signed message
  xmlNode* signature = nullptr;
  xmlNode* signed_properties = nullptr;
  std::optional<ParsedBatch> batch_info;
  std::string content_reference;  // "#message" or "#batch"
  std::chrono::sys_seconds signing_time{};
  std::string certificate_sha256;  // raw, from the signed properties
  std::string certificate_der;     // from KeyInfo
  std::string ocsp_der;
};

// kInvalidArgument with a bounded reason (never echoing the input) for anything that is not
// exactly an e-stamp: size over kMaxEStampBytes, a DOCTYPE, XML that is not well-formed, an
// unknown, missing or repeated element or attribute, a field outside its rule.
Result<ParsedEStamp> parse_estamp(std::string_view xml);

// "2026-11-23T15:00:00Z" and back; nullopt unless exactly that form and a real time.
std::optional<std::chrono::sys_seconds> parse_signing_time(std::string_view text);

}  // namespace xacbe::ss::estamp_xml
