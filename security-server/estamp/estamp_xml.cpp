#include "estamp/estamp_xml.hpp"

#include <libxml/parser.h>
#include <libxml/valid.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <set>

#include "merkle.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ss {

namespace {

bool is_printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) { return ch >= 0x20 && ch <= 0x7e; });
}

bool is_part_name(std::string_view s) {
  return !s.empty() && s.size() <= kMaxPartNameLength && std::all_of(s.begin(), s.end(), [](char ch) {
           return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
         });
}

Status check_text(std::string_view value, const char* field) {
  if (value.empty() || value.size() > kMaxStampTextLength || !is_printable_ascii(value)) {
    return invalid_argument(std::string(field) + " must be 1..255 printable ASCII characters");
  }
  return Status::ok();
}

}  // namespace

Status validate_stamp_content(const StampContent& content) {
  if (content.kind != "request" && content.kind != "response") {
    return invalid_argument("kind must be 'request' or 'response'");
  }
  XACBE_RETURN_IF_ERROR(check_text(content.message_id, "message id"));
  XACBE_RETURN_IF_ERROR(check_text(content.client, "client"));
  XACBE_RETURN_IF_ERROR(check_text(content.service, "service"));
  if (content.kind == "response" && content.request_hash.size() != 32) {
    return invalid_argument("a response needs the 32-byte SHA-256 of its request's e-stamp");
  }
  if (content.kind == "request" && !content.request_hash.empty()) {
    return invalid_argument("a request carries no request hash");
  }
  if (content.parts.empty() || content.parts.size() > kMaxStampedParts) {
    return invalid_argument("a message has 1..16 stamped parts");
  }
  std::set<std::string_view> names;
  for (const auto& part : content.parts) {
    if (!is_part_name(part.name)) return invalid_argument("a part name must be 1..32 of [a-z0-9-]");
    if (!names.insert(part.name).second) return invalid_argument("part names must be unique");
    if (part.sha256.size() != 32) return invalid_argument("a part digest must be 32 bytes (SHA-256)");
  }
  return Status::ok();
}

namespace estamp_xml {
namespace {

using xml::c;
using xml::x;

constexpr std::array<const char*, 3> kDigestMethods = {
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
};
constexpr std::array<const char*, 6> kSignatureMethods = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",   "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",   "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
};

xmlNode* add_text_child(xmlNode* parent, xmlNs* ns, const char* name, const std::string& text) {
  return xmlNewTextChild(parent, ns, x(name), x(text.c_str()));
}

Status malformed(const std::string& why) { return invalid_argument("malformed e-stamp: " + why); }

bool is_element(const xmlNode* node, const char* ns, const char* name) {
  return node != nullptr && node->type == XML_ELEMENT_NODE && node->ns != nullptr &&
         xmlStrEqual(node->ns->href, x(ns)) && xmlStrEqual(node->name, x(name));
}

bool is_xml_whitespace(const xmlChar* s) {
  for (; s != nullptr && *s != 0; ++s) {
    if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return false;
  }
  return true;
}

// The element children of `node`, in order. Between elements only whitespace text may appear:
// comments, processing instructions, CDATA sections, entity references and other text are refused.
Result<std::vector<xmlNode*>> element_children(xmlNode* node, const char* where) {
  std::vector<xmlNode*> out;
  for (xmlNode* child = node->children; child != nullptr; child = child->next) {
    if (child->type == XML_ELEMENT_NODE) {
      out.push_back(child);
    } else if (child->type != XML_TEXT_NODE || !is_xml_whitespace(child->content)) {
      return malformed(std::string("unexpected content in ") + where);
    }
  }
  return out;
}

// The text of a leaf element: only text children (no elements, comments, CDATA...).
Result<std::string> leaf_text(xmlNode* node, const char* where) {
  std::string out;
  for (xmlNode* child = node->children; child != nullptr; child = child->next) {
    if (child->type != XML_TEXT_NODE) return malformed(std::string("unexpected content in ") + where);
    if (child->content != nullptr) out += c(child->content);
  }
  return out;
}

// Refuses any attribute but `allowed` (unqualified); namespace declarations are not attributes.
Status only_attributes(xmlNode* node, std::initializer_list<const char*> allowed, const char* where) {
  for (xmlAttr* attr = node->properties; attr != nullptr; attr = attr->next) {
    const bool known = attr->ns == nullptr && std::any_of(allowed.begin(), allowed.end(), [&](const char* name) {
                         return xmlStrEqual(attr->name, x(name));
                       });
    if (!known) return malformed(std::string("unexpected attribute on ") + where);
  }
  return Status::ok();
}

std::optional<std::string> attribute(xmlNode* node, const char* name) {
  xmlChar* value = xmlGetNoNsProp(node, x(name));
  if (value == nullptr) return std::nullopt;
  std::string out(c(value));
  xmlFree(value);
  return out;
}

Status require_attribute(xmlNode* node, const char* name, std::string_view expected, const char* where) {
  auto value = attribute(node, name);
  if (!value || *value != expected) return malformed(std::string(where) + " needs " + name + "=\"" + std::string(expected) + "\"");
  return Status::ok();
}

// Walks the element children of one element in schema order.
class Cursor {
 public:
  Cursor(std::vector<xmlNode*> nodes, const char* ns, const char* where)
      : nodes_(std::move(nodes)), ns_(ns), where_(where) {}
  xmlNode* optional(const char* name) {
    if (i_ < nodes_.size() && is_element(nodes_[i_], ns_, name)) return nodes_[i_++];
    return nullptr;
  }
  Result<xmlNode*> required(const char* name) {
    if (xmlNode* node = optional(name)) return node;
    return malformed(std::string("missing or misplaced ") + name + " in " + where_);
  }
  Status done() const {
    if (i_ != nodes_.size()) return malformed(std::string("unexpected element in ") + where_);
    return Status::ok();
  }

 private:
  std::vector<xmlNode*> nodes_;
  std::size_t i_ = 0;
  const char* ns_;
  const char* where_;
};

Result<Cursor> children_of(xmlNode* node, const char* ns, const char* where) {
  XACBE_ASSIGN_OR_RETURN(auto nodes, element_children(node, where));
  return Cursor(std::move(nodes), ns, where);
}

// An element with no attributes and text of its own.
Result<std::string> text_element(Cursor& cursor, const char* name) {
  XACBE_ASSIGN_OR_RETURN(xmlNode * node, cursor.required(name));
  XACBE_RETURN_IF_ERROR(only_attributes(node, {}, name));
  return leaf_text(node, name);
}

// Lower-case hex of exactly 32 bytes.
Result<std::string> sha256_hex(const std::string& text, const char* where) {
  const bool ok = text.size() == 64 && std::all_of(text.begin(), text.end(), [](char ch) {
                    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
                  });
  if (!ok) return malformed(std::string(where) + " must be 64 lower-case hex digits");
  return crypto::from_hex(text);
}

// A decimal without sign or leading zeros, at most 7 digits.
Result<std::size_t> small_decimal(const std::string& text, const char* where) {
  const bool ok = !text.empty() && text.size() <= 7 && std::all_of(text.begin(), text.end(), [](char ch) {
                    return ch >= '0' && ch <= '9';
                  }) && (text == "0" || text[0] != '0');
  if (!ok) return malformed(std::string(where) + " must be a decimal number");
  return static_cast<std::size_t>(std::stoul(text));
}

// Base64 that may be folded over lines (xmlsec writes 64-column lines).
Result<std::string> folded_base64(const std::string& text, const char* where) {
  std::string compact;
  compact.reserve(text.size());
  for (char ch : text) {
    if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') compact += ch;
  }
  auto decoded = crypto::base64_decode(compact);
  if (!decoded || decoded->empty()) return malformed(std::string(where) + " is not base64");
  return std::move(decoded).value();
}

Status parse_message(xmlNode* message, StampContent& out) {
  XACBE_RETURN_IF_ERROR(only_attributes(message, {"Id"}, "Message"));
  XACBE_RETURN_IF_ERROR(require_attribute(message, "Id", kMessageId, "Message"));
  XACBE_ASSIGN_OR_RETURN(Cursor cursor, children_of(message, kNamespace, "Message"));
  XACBE_ASSIGN_OR_RETURN(out.kind, text_element(cursor, "Kind"));
  XACBE_ASSIGN_OR_RETURN(out.message_id, text_element(cursor, "MessageId"));
  XACBE_ASSIGN_OR_RETURN(out.client, text_element(cursor, "Client"));
  XACBE_ASSIGN_OR_RETURN(out.service, text_element(cursor, "Service"));
  if (xmlNode* hash = cursor.optional("RequestHash")) {
    XACBE_RETURN_IF_ERROR(only_attributes(hash, {}, "RequestHash"));
    XACBE_ASSIGN_OR_RETURN(std::string hex, leaf_text(hash, "RequestHash"));
    XACBE_ASSIGN_OR_RETURN(out.request_hash, sha256_hex(hex, "RequestHash"));
  }
  while (xmlNode* part = cursor.optional("Part")) {
    if (out.parts.size() == kMaxStampedParts) return malformed("more than 16 parts");
    XACBE_RETURN_IF_ERROR(only_attributes(part, {"name"}, "Part"));
    StampedPart p;
    p.name = attribute(part, "name").value_or("");
    XACBE_ASSIGN_OR_RETURN(std::string hex, leaf_text(part, "Part"));
    XACBE_ASSIGN_OR_RETURN(p.sha256, sha256_hex(hex, "Part"));
    out.parts.push_back(std::move(p));
  }
  XACBE_RETURN_IF_ERROR(cursor.done());
  Status valid = validate_stamp_content(out);
  if (!valid) return malformed(valid.message());
  return Status::ok();
}

Result<ParsedBatch> parse_batch(xmlNode* batch, xmlNode* proof) {
  ParsedBatch out;
  XACBE_RETURN_IF_ERROR(only_attributes(batch, {"Id"}, "Batch"));
  XACBE_RETURN_IF_ERROR(require_attribute(batch, "Id", kBatchId, "Batch"));
  XACBE_ASSIGN_OR_RETURN(Cursor cursor, children_of(batch, kNamespace, "Batch"));
  XACBE_ASSIGN_OR_RETURN(std::string root, text_element(cursor, "Root"));
  XACBE_ASSIGN_OR_RETURN(out.root, sha256_hex(root, "Root"));
  XACBE_ASSIGN_OR_RETURN(std::string size, text_element(cursor, "Size"));
  XACBE_ASSIGN_OR_RETURN(out.size, small_decimal(size, "Size"));
  XACBE_RETURN_IF_ERROR(cursor.done());
  if (out.size < 1 || out.size > kMaxBatchSize) return malformed("batch size out of range");

  XACBE_RETURN_IF_ERROR(only_attributes(proof, {}, "Proof"));
  XACBE_ASSIGN_OR_RETURN(Cursor path, children_of(proof, kNamespace, "Proof"));
  XACBE_ASSIGN_OR_RETURN(std::string index, text_element(path, "Index"));
  XACBE_ASSIGN_OR_RETURN(out.index, small_decimal(index, "Index"));
  if (out.index >= out.size) return malformed("proof index outside the batch");
  while (xmlNode* hash = path.optional("Hash")) {
    if (out.path.size() == 64) return malformed("proof too long");
    XACBE_RETURN_IF_ERROR(only_attributes(hash, {}, "Hash"));
    XACBE_ASSIGN_OR_RETURN(std::string hex, leaf_text(hash, "Hash"));
    XACBE_ASSIGN_OR_RETURN(std::string raw, sha256_hex(hex, "Hash"));
    out.path.push_back(std::move(raw));
  }
  XACBE_RETURN_IF_ERROR(path.done());
  return out;
}

// <ds:Transforms><ds:Transform Algorithm="exc-c14n"/></ds:Transforms>, DigestMethod, DigestValue.
Status parse_reference(xmlNode* reference, std::string_view uri) {
  XACBE_RETURN_IF_ERROR(only_attributes(reference, {"URI"}, "Reference"));
  XACBE_RETURN_IF_ERROR(require_attribute(reference, "URI", uri, "Reference"));
  XACBE_ASSIGN_OR_RETURN(Cursor cursor, children_of(reference, kDsNamespace, "Reference"));
  XACBE_ASSIGN_OR_RETURN(xmlNode * transforms, cursor.required("Transforms"));
  XACBE_RETURN_IF_ERROR(only_attributes(transforms, {}, "Transforms"));
  XACBE_ASSIGN_OR_RETURN(Cursor transform_list, children_of(transforms, kDsNamespace, "Transforms"));
  XACBE_ASSIGN_OR_RETURN(xmlNode * transform, transform_list.required("Transform"));
  XACBE_RETURN_IF_ERROR(transform_list.done());
  XACBE_RETURN_IF_ERROR(only_attributes(transform, {"Algorithm"}, "Transform"));
  XACBE_RETURN_IF_ERROR(require_attribute(transform, "Algorithm", kExcC14n, "Transform"));
  XACBE_ASSIGN_OR_RETURN(auto transform_children, element_children(transform, "Transform"));
  if (!transform_children.empty()) return malformed("Transform takes no parameters");
  XACBE_ASSIGN_OR_RETURN(xmlNode * digest_method, cursor.required("DigestMethod"));
  XACBE_RETURN_IF_ERROR(only_attributes(digest_method, {"Algorithm"}, "DigestMethod"));
  XACBE_ASSIGN_OR_RETURN(auto digest_children, element_children(digest_method, "DigestMethod"));
  if (!digest_children.empty() || !is_allowed_digest_method(attribute(digest_method, "Algorithm").value_or(""))) {
    return malformed("digest method not allowed");
  }
  XACBE_ASSIGN_OR_RETURN(std::string digest_value, text_element(cursor, "DigestValue"));
  XACBE_ASSIGN_OR_RETURN(std::string digest, folded_base64(digest_value, "DigestValue"));
  return cursor.done();
}

Status parse_signed_info(xmlNode* signed_info, const std::string& content_reference) {
  XACBE_RETURN_IF_ERROR(only_attributes(signed_info, {}, "SignedInfo"));
  XACBE_ASSIGN_OR_RETURN(Cursor cursor, children_of(signed_info, kDsNamespace, "SignedInfo"));
  XACBE_ASSIGN_OR_RETURN(xmlNode * c14n, cursor.required("CanonicalizationMethod"));
  XACBE_RETURN_IF_ERROR(only_attributes(c14n, {"Algorithm"}, "CanonicalizationMethod"));
  XACBE_RETURN_IF_ERROR(require_attribute(c14n, "Algorithm", kExcC14n, "CanonicalizationMethod"));
  XACBE_ASSIGN_OR_RETURN(auto c14n_children, element_children(c14n, "CanonicalizationMethod"));
  if (!c14n_children.empty()) return malformed("CanonicalizationMethod takes no parameters");
  XACBE_ASSIGN_OR_RETURN(xmlNode * method, cursor.required("SignatureMethod"));
  XACBE_RETURN_IF_ERROR(only_attributes(method, {"Algorithm"}, "SignatureMethod"));
  XACBE_ASSIGN_OR_RETURN(auto method_children, element_children(method, "SignatureMethod"));
  if (!method_children.empty() || !is_allowed_signature_method(attribute(method, "Algorithm").value_or(""))) {
    return malformed("signature method not allowed");
  }
  XACBE_ASSIGN_OR_RETURN(xmlNode * content, cursor.required("Reference"));
  XACBE_RETURN_IF_ERROR(parse_reference(content, content_reference));
  XACBE_ASSIGN_OR_RETURN(xmlNode * properties, cursor.required("Reference"));
  XACBE_RETURN_IF_ERROR(parse_reference(properties, std::string("#") + kSignedPropertiesId));
  return cursor.done();
}

Status parse_signature(xmlNode* signature, ParsedEStamp& out) {
  XACBE_RETURN_IF_ERROR(only_attributes(signature, {}, "Signature"));
  XACBE_ASSIGN_OR_RETURN(Cursor cursor, children_of(signature, kDsNamespace, "Signature"));
  XACBE_ASSIGN_OR_RETURN(xmlNode * signed_info, cursor.required("SignedInfo"));
  XACBE_RETURN_IF_ERROR(parse_signed_info(signed_info, out.content_reference));
  XACBE_ASSIGN_OR_RETURN(std::string signature_value, text_element(cursor, "SignatureValue"));
  XACBE_RETURN_IF_ERROR(folded_base64(signature_value, "SignatureValue").status());

  XACBE_ASSIGN_OR_RETURN(xmlNode * key_info, cursor.required("KeyInfo"));
  XACBE_RETURN_IF_ERROR(only_attributes(key_info, {}, "KeyInfo"));
  XACBE_ASSIGN_OR_RETURN(Cursor key_cursor, children_of(key_info, kDsNamespace, "KeyInfo"));
  XACBE_ASSIGN_OR_RETURN(xmlNode * x509_data, key_cursor.required("X509Data"));
  XACBE_RETURN_IF_ERROR(key_cursor.done());
  XACBE_RETURN_IF_ERROR(only_attributes(x509_data, {}, "X509Data"));
  XACBE_ASSIGN_OR_RETURN(Cursor x509_cursor, children_of(x509_data, kDsNamespace, "X509Data"));
  XACBE_ASSIGN_OR_RETURN(std::string cert_text, text_element(x509_cursor, "X509Certificate"));
  XACBE_RETURN_IF_ERROR(x509_cursor.done());
  XACBE_ASSIGN_OR_RETURN(out.certificate_der, folded_base64(cert_text, "X509Certificate"));

  // First Object: the signed properties.
  XACBE_ASSIGN_OR_RETURN(xmlNode * properties_object, cursor.required("Object"));
  XACBE_RETURN_IF_ERROR(only_attributes(properties_object, {}, "Object"));
  XACBE_ASSIGN_OR_RETURN(Cursor object_cursor, children_of(properties_object, kNamespace, "Object"));
  XACBE_ASSIGN_OR_RETURN(out.signed_properties, object_cursor.required("SignedProperties"));
  XACBE_RETURN_IF_ERROR(object_cursor.done());
  XACBE_RETURN_IF_ERROR(only_attributes(out.signed_properties, {"Id"}, "SignedProperties"));
  XACBE_RETURN_IF_ERROR(require_attribute(out.signed_properties, "Id", kSignedPropertiesId, "SignedProperties"));
  XACBE_ASSIGN_OR_RETURN(Cursor properties, children_of(out.signed_properties, kNamespace, "SignedProperties"));
  XACBE_ASSIGN_OR_RETURN(std::string time_text, text_element(properties, "SigningTime"));
  auto time = parse_signing_time(time_text);
  if (!time) return malformed("SigningTime must be YYYY-MM-DDThh:mm:ssZ");
  out.signing_time = *time;
  XACBE_ASSIGN_OR_RETURN(std::string cert_digest, text_element(properties, "SigningCertificateDigest"));
  XACBE_ASSIGN_OR_RETURN(out.certificate_sha256, sha256_hex(cert_digest, "SigningCertificateDigest"));
  XACBE_RETURN_IF_ERROR(properties.done());

  // Second Object: the OCSP response.
  XACBE_ASSIGN_OR_RETURN(xmlNode * ocsp_object, cursor.required("Object"));
  XACBE_RETURN_IF_ERROR(only_attributes(ocsp_object, {}, "Object"));
  XACBE_ASSIGN_OR_RETURN(Cursor ocsp_cursor, children_of(ocsp_object, kNamespace, "Object"));
  XACBE_ASSIGN_OR_RETURN(std::string ocsp_text, text_element(ocsp_cursor, "OcspResponse"));
  XACBE_RETURN_IF_ERROR(ocsp_cursor.done());
  XACBE_ASSIGN_OR_RETURN(out.ocsp_der, folded_base64(ocsp_text, "OcspResponse"));
  if (out.ocsp_der.size() > kMaxOcspResponseBytes) return malformed("OCSP response too large");
  return cursor.done();
}

}  // namespace

bool is_allowed_digest_method(std::string_view uri) {
  return std::find(kDigestMethods.begin(), kDigestMethods.end(), uri) != kDigestMethods.end();
}

bool is_allowed_signature_method(std::string_view uri) {
  return std::find(kSignatureMethods.begin(), kSignatureMethods.end(), uri) != kSignatureMethods.end();
}

Result<xml::DocPtr> new_estamp_document() {
  XACBE_RETURN_IF_ERROR(xml::initialise());
  xml::DocPtr doc(xmlNewDoc(x("1.0")));
  if (!doc) return internal_error("out of memory building an e-stamp");
  xmlNode* root = xmlNewDocNode(doc.get(), nullptr, x("EStamp"), nullptr);
  if (root == nullptr) return internal_error("out of memory building an e-stamp");
  xmlDocSetRootElement(doc.get(), root);
  xmlNs* ns = xmlNewNs(root, x(kNamespace), x(kPrefix));
  if (ns == nullptr) return internal_error("out of memory building an e-stamp");
  xmlSetNs(root, ns);
  xmlNewProp(root, x("version"), x("1"));
  return doc;
}

xmlNs* estamp_ns(xmlDoc* doc) { return xmlDocGetRootElement(doc)->ns; }

xmlNode* build_message(xmlDoc* doc, const StampContent& content) {
  xmlNs* ns = estamp_ns(doc);
  xmlNode* message = xmlNewDocNode(doc, ns, x("Message"), nullptr);
  xmlNewProp(message, x("Id"), x(kMessageId));
  add_text_child(message, ns, "Kind", content.kind);
  add_text_child(message, ns, "MessageId", content.message_id);
  add_text_child(message, ns, "Client", content.client);
  add_text_child(message, ns, "Service", content.service);
  if (!content.request_hash.empty()) add_text_child(message, ns, "RequestHash", crypto::to_hex(content.request_hash));
  for (const auto& part : content.parts) {
    xmlNode* node = add_text_child(message, ns, "Part", crypto::to_hex(part.sha256));
    xmlNewProp(node, x("name"), x(part.name.c_str()));
  }
  return message;
}

xmlNode* build_batch(xmlDoc* doc, std::string_view root_hash, std::size_t size) {
  xmlNs* ns = estamp_ns(doc);
  xmlNode* batch = xmlNewDocNode(doc, ns, x("Batch"), nullptr);
  xmlNewProp(batch, x("Id"), x(kBatchId));
  add_text_child(batch, ns, "Root", crypto::to_hex(root_hash));
  add_text_child(batch, ns, "Size", std::to_string(size));
  return batch;
}

xmlNode* build_proof(xmlDoc* doc, std::size_t index, const std::vector<std::string>& path) {
  xmlNs* ns = estamp_ns(doc);
  xmlNode* proof = xmlNewDocNode(doc, ns, x("Proof"), nullptr);
  add_text_child(proof, ns, "Index", std::to_string(index));
  for (const auto& hash : path) add_text_child(proof, ns, "Hash", crypto::to_hex(hash));
  return proof;
}

xmlNode* build_signed_properties(xmlDoc* doc, std::chrono::sys_seconds signing_time, std::string_view cert_sha256) {
  xmlNs* ns = estamp_ns(doc);
  xmlNode* properties = xmlNewDocNode(doc, ns, x("SignedProperties"), nullptr);
  xmlNewProp(properties, x("Id"), x(kSignedPropertiesId));
  add_text_child(properties, ns, "SigningTime", to_iso8601_utc(signing_time));
  add_text_child(properties, ns, "SigningCertificateDigest", crypto::to_hex(cert_sha256));
  return properties;
}

xmlNode* build_ocsp_response(xmlDoc* doc, std::string_view ocsp_der) {
  return xmlNewDocRawNode(doc, estamp_ns(doc), x("OcspResponse"), x(crypto::base64_encode(ocsp_der).c_str()));
}

Result<std::string> message_leaf_hash(xmlDoc* doc, xmlNode* message) {
  XACBE_ASSIGN_OR_RETURN(std::string canonical, xml::exclusive_c14n(doc, message));
  return merkle_leaf_hash(canonical);
}

bool register_id(xmlDoc* doc, xmlNode* element) {
  xmlAttr* attr = xmlHasNsProp(element, x("Id"), nullptr);
  if (attr == nullptr || attr->children == nullptr || attr->children->content == nullptr) return false;
  if (xmlGetID(doc, attr->children->content) != nullptr) return false;
  return xmlAddID(nullptr, doc, attr->children->content, attr) != nullptr;
}

std::optional<std::chrono::sys_seconds> parse_signing_time(std::string_view text) {
  using namespace std::chrono;
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != kShape.size()) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
  }
  auto number = [&](std::size_t at, std::size_t len) {
    int v = 0;
    for (std::size_t i = at; i < at + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  const year_month_day date{year(number(0, 4)), month(static_cast<unsigned>(number(5, 2))),
                            day(static_cast<unsigned>(number(8, 2)))};
  const int h = number(11, 2), m = number(14, 2), s = number(17, 2);
  if (!date.ok() || h > 23 || m > 59 || s > 59) return std::nullopt;
  return sys_days(date) + hours(h) + minutes(m) + seconds(s);
}

Result<ParsedEStamp> parse_estamp(std::string_view xml) {
  XACBE_RETURN_IF_ERROR(xml::initialise());
  if (xml.empty()) return malformed("empty input");
  if (xml.size() > kMaxEStampBytes) return malformed("larger than 256 KiB");
  // No document type at all: no DTD, no entity declarations, nothing to expand or fetch.
  if (xml.find("<!DOCTYPE") != std::string_view::npos || xml.find("<!ENTITY") != std::string_view::npos) {
    return malformed("a DOCTYPE is not allowed");
  }
  ParsedEStamp out;
  // No XML_PARSE_NOENT, DTDLOAD, DTDATTR, XINCLUDE or HUGE: libxml2 then substitutes no entity,
  // loads nothing, and keeps its default depth and size limits.
  constexpr int kOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  out.doc.reset(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr, kOptions));
  if (!out.doc) return malformed("not well-formed XML");
  if (out.doc->intSubset != nullptr || out.doc->extSubset != nullptr) return malformed("a DOCTYPE is not allowed");
  // Nothing but the root element (and whitespace) at the top.
  for (xmlNode* top = out.doc->children; top != nullptr; top = top->next) {
    if (top->type != XML_ELEMENT_NODE) return malformed("content outside the EStamp element");
  }
  xmlNode* root = xmlDocGetRootElement(out.doc.get());
  if (!is_element(root, kNamespace, "EStamp")) return malformed("the root is not e:EStamp");
  XACBE_RETURN_IF_ERROR(only_attributes(root, {"version"}, "EStamp"));
  XACBE_RETURN_IF_ERROR(require_attribute(root, "version", "1", "EStamp"));

  // Message, then Batch and Proof for a batch, then the ds:Signature (another namespace).
  XACBE_ASSIGN_OR_RETURN(auto elements, element_children(root, "EStamp"));
  if (elements.empty() || !is_element(elements.back(), kDsNamespace, "Signature")) {
    return malformed("missing ds:Signature");
  }
  out.signature = elements.back();
  elements.pop_back();
  Cursor top(std::move(elements), kNamespace, "EStamp");
  XACBE_ASSIGN_OR_RETURN(out.message, top.required("Message"));
  XACBE_RETURN_IF_ERROR(parse_message(out.message, out.content));
  out.batch = top.optional("Batch");
  out.content_reference = std::string("#") + kMessageId;
  if (out.batch != nullptr) {
    XACBE_ASSIGN_OR_RETURN(xmlNode * proof, top.required("Proof"));
    XACBE_ASSIGN_OR_RETURN(out.batch_info, parse_batch(out.batch, proof));
    out.content_reference = std::string("#") + kBatchId;
  }
  XACBE_RETURN_IF_ERROR(top.done());
  XACBE_RETURN_IF_ERROR(parse_signature(out.signature, out));
  return out;
}

}  // namespace estamp_xml
}  // namespace xacbe::ss
