#include "estamp/xml_security.hpp"

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/xmlIO.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <xmlsec/errors.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/xmlsec.h>

#include <mutex>

namespace xacbe::ss::xml {
namespace {

// xmlsec reports to stderr by default; a verifier meets bad input all day long, and the caller
// gets the reason as a Status instead.
void silent_errors(const char*, int, const char*, const char*, const char*, int, const char*) {}

struct OutputBufferDeleter {
  void operator()(xmlOutputBuffer* buf) const noexcept { xmlOutputBufferClose(buf); }
};

// Visible nodes for canonicalisation: `root` and everything below it. Namespace nodes are
// judged by the element they belong to (libxml2 passes it as `parent`).
int visible_in_subtree(void* user_data, xmlNode* node, xmlNode* parent) {
  const auto* root = static_cast<const xmlNode*>(user_data);
  const xmlNode* n = node->type == XML_NAMESPACE_DECL ? parent : node;
  for (; n != nullptr; n = n->parent) {
    if (n == root) return 1;
  }
  return 0;
}

}  // namespace

Status initialise() {
  static std::once_flag once;
  static Status status;
  std::call_once(once, [] {
    xmlInitParser();
    if (xmlSecInit() < 0) {
      status = internal_error("xmlsec initialisation failed");
      return;
    }
    if (xmlSecCheckVersion() != 1) {
      status = internal_error("the loaded xmlsec library is not the version built against");
      return;
    }
    if (xmlSecOpenSSLAppInit(nullptr) < 0 || xmlSecOpenSSLInit() < 0) {
      status = internal_error("xmlsec OpenSSL backend initialisation failed");
      return;
    }
    xmlSecErrorsSetCallback(silent_errors);
    ERR_clear_error();
  });
  return status;
}

Result<KeyPtr> key_of(EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_up_ref(key) != 1) return internal_error("no key to sign or verify with");
  xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(key);
  if (data == nullptr) {
    EVP_PKEY_free(key);  // not adopted: drop the reference taken above
    ERR_clear_error();
    return internal_error("xmlsec cannot use this key type");
  }
  KeyPtr out(xmlSecKeyCreate());
  if (!out || xmlSecKeySetValue(out.get(), data) < 0) {
    xmlSecKeyDataDestroy(data);
    return internal_error("xmlsec key creation failed");
  }
  return out;
}

Result<std::string> exclusive_c14n(xmlDoc* doc, xmlNode* root) {
  std::unique_ptr<xmlOutputBuffer, OutputBufferDeleter> buf(xmlAllocOutputBuffer(nullptr));
  if (!buf) return internal_error("out of memory canonicalising");
  if (xmlC14NExecute(doc, visible_in_subtree, root, XML_C14N_EXCLUSIVE_1_0, nullptr, 0, buf.get()) < 0) {
    return internal_error("exclusive canonicalisation failed");
  }
  const xmlChar* content = xmlOutputBufferGetContent(buf.get());
  if (content == nullptr) return internal_error("exclusive canonicalisation gave no output");
  return std::string(c(content), xmlOutputBufferGetSize(buf.get()));
}

Result<std::string> serialise(xmlDoc* doc) {
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
  if (mem == nullptr || size <= 0) {
    xmlFree(mem);
    return internal_error("cannot serialise the e-stamp");
  }
  std::string out(c(mem), static_cast<std::size_t>(size));
  xmlFree(mem);
  return out;
}

}  // namespace xacbe::ss::xml
