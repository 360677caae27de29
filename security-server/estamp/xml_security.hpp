#pragma once
// Owning handles and one-time set-up for libxml2 and xmlsec (OpenSSL backend), private to the
// e-stamp code. Every libxml2/xmlsec object lives in one of these handles.

#include <libxml/tree.h>
#include <xmlsec/keys.h>
#include <xmlsec/xmldsig.h>

#include <memory>
#include <string>

#include "xacbe/crypto/openssl_ptr.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ss::xml {

struct DocDeleter {
  void operator()(xmlDoc* doc) const noexcept { xmlFreeDoc(doc); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocDeleter>;

struct NodeDeleter {  // for a node not (or no longer) linked into a document
  void operator()(xmlNode* node) const noexcept { xmlFreeNode(node); }
};
using NodePtr = std::unique_ptr<xmlNode, NodeDeleter>;

struct DSigCtxDeleter {
  void operator()(xmlSecDSigCtx* ctx) const noexcept { xmlSecDSigCtxDestroy(ctx); }
};
using DSigCtxPtr = std::unique_ptr<xmlSecDSigCtx, DSigCtxDeleter>;

struct KeyDeleter {
  void operator()(xmlSecKey* key) const noexcept { xmlSecKeyDestroy(key); }
};
using KeyPtr = std::unique_ptr<xmlSecKey, KeyDeleter>;

inline const xmlChar* x(const char* s) { return reinterpret_cast<const xmlChar*>(s); }
inline const char* c(const xmlChar* s) { return reinterpret_cast<const char*>(s); }

// Initialises libxml2, xmlsec and its OpenSSL backend once per process (std::call_once) and
// silences xmlsec's error printing (failures become Status values). Safe from any thread; the
// same non-ok Status on every call if initialisation failed.
Status initialise();

// An xmlsec key holding one more reference on `key` (private or public).
Result<KeyPtr> key_of(EVP_PKEY* key);

// Exclusive XML Canonicalization 1.0 without comments of the subtree rooted at element `root`
// (the octets a same-document Reference to it with the exc-c14n transform digests).
Result<std::string> exclusive_c14n(xmlDoc* doc, xmlNode* root);

// The document serialised as UTF-8 with an XML declaration.
Result<std::string> serialise(xmlDoc* doc);

}  // namespace xacbe::ss::xml
