// Signing: docs/protocol/e-stamp.md "Signing a message" and "Signing a batch".

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmltree.h>

#include "estamp/estamp.hpp"
#include "estamp/estamp_xml.hpp"
#include "merkle.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ss {
namespace {

using xml::x;

// The signature method follows the key, with the digest of docs/protocol/certificates.md "Keys".
Result<xmlSecTransformId> signature_method_of(EVP_PKEY* key) {
  if (key == nullptr) return internal_error("the signer has no key");
  const EVP_MD* md = crypto::signing_digest(key);
  const bool sha384 = md != nullptr && EVP_MD_get_type(md) == NID_sha384;
  if (EVP_PKEY_is_a(key, "RSA")) return sha384 ? xmlSecOpenSSLTransformRsaSha384Id : xmlSecOpenSSLTransformRsaSha256Id;
  if (EVP_PKEY_is_a(key, "EC")) return sha384 ? xmlSecOpenSSLTransformEcdsaSha384Id : xmlSecOpenSSLTransformEcdsaSha256Id;
  return invalid_argument("the signing key is neither RSA nor EC");
}

// The carried OCSP response must at least be one DER OCSPResponse: the signer has verified it
// (ocsp_client.hpp) before handing it over.
Status check_ocsp_der(std::string_view der) {
  if (der.empty() || der.size() > kMaxOcspResponseBytes) return invalid_argument("OCSP response missing or too large");
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  crypto::OCSP_RESPONSEPtr response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!response || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    return invalid_argument("the OCSP response is not one DER OCSPResponse");
  }
  return Status::ok();
}

xmlNode* add_reference(xmlNode* signature, const std::string& uri) {
  xmlNode* reference =
      xmlSecTmplSignatureAddReference(signature, xmlSecOpenSSLTransformSha256Id, nullptr, x(uri.c_str()), nullptr);
  if (reference == nullptr || xmlSecTmplReferenceAddTransform(reference, xmlSecTransformExclC14NId) == nullptr) {
    return nullptr;
  }
  return reference;
}

// Appends the ds:Signature over `content` (the Message, or the Batch of a batch) to the root:
// the template, the signature itself, then KeyInfo and the OCSP Object, which are not signed
// (the signed properties name the certificate; the OCSP response is signed by its responder).
Status sign_document(xmlDoc* doc, xmlNode* content, const Signer& signer, std::string_view ocsp_der,
                     std::chrono::sys_seconds signing_time) {
  using namespace estamp_xml;
  XACBE_ASSIGN_OR_RETURN(xmlSecTransformId method, signature_method_of(signer.private_key()));
  const std::string cert_der = signer.certificate().der();
  const auto failed = [] { return internal_error("building the e-stamp signature failed"); };

  xmlNode* signature = xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformExclC14NId, method, nullptr, x("ds"));
  if (signature == nullptr) return failed();
  xmlAddChild(xmlDocGetRootElement(doc), signature);
  const bool is_batch = xmlStrEqual(content->name, x("Batch"));
  if (add_reference(signature, std::string("#") + (is_batch ? kBatchId : kMessageId)) == nullptr ||
      add_reference(signature, std::string("#") + kSignedPropertiesId) == nullptr) {
    return failed();
  }
  xmlNode* object = xmlSecTmplSignatureAddObject(signature, nullptr, nullptr, nullptr);
  if (object == nullptr) return failed();
  xmlNode* properties = build_signed_properties(doc, signing_time, crypto::sha256(cert_der));
  xmlAddChild(object, properties);
  if (!register_id(doc, content) || !register_id(doc, properties)) return failed();

  XACBE_ASSIGN_OR_RETURN(xml::KeyPtr key, xml::key_of(signer.private_key()));
  xml::DSigCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) return failed();
  ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
  ctx->signKey = key.release();  // the context owns it now
  if (xmlSecDSigCtxSign(ctx.get(), signature) < 0) {
    ERR_clear_error();
    return internal_error("xmlsec could not sign the e-stamp");
  }

  xmlNs* ds = signature->ns;
  xmlNode* signature_value = xmlSecFindChild(signature, xmlSecNodeSignatureValue, xmlSecDSigNs);
  if (signature_value == nullptr) return failed();
  xmlNode* key_info = xmlNewDocNode(doc, ds, x("KeyInfo"), nullptr);
  xmlNode* x509_data = xmlNewChild(key_info, ds, x("X509Data"), nullptr);
  xmlNewTextChild(x509_data, ds, x("X509Certificate"), x(crypto::base64_encode(cert_der).c_str()));
  xmlAddNextSibling(signature_value, key_info);
  xmlAddPrevSibling(key_info, xmlNewDocText(doc, x("\n")));
  xmlNode* ocsp_object = xmlNewDocNode(doc, ds, x("Object"), nullptr);
  xmlAddChild(ocsp_object, build_ocsp_response(doc, ocsp_der));
  xmlAddChild(signature, ocsp_object);
  xmlAddChild(signature, xmlNewDocText(doc, x("\n")));
  return Status::ok();
}

}  // namespace

Result<std::string> sign_estamp(const StampContent& content, const Signer& signer, std::string_view ocsp_der,
                                std::chrono::sys_seconds signing_time) {
  XACBE_RETURN_IF_ERROR(validate_stamp_content(content));
  XACBE_RETURN_IF_ERROR(check_ocsp_der(ocsp_der));
  XACBE_ASSIGN_OR_RETURN(xml::DocPtr doc, estamp_xml::new_estamp_document());
  xmlNode* message = estamp_xml::build_message(doc.get(), content);
  xmlAddChild(xmlDocGetRootElement(doc.get()), message);
  XACBE_RETURN_IF_ERROR(sign_document(doc.get(), message, signer, ocsp_der, signing_time));
  return xml::serialise(doc.get());
}

Result<std::vector<std::string>> sign_estamp_batch(const std::vector<StampContent>& contents, const Signer& signer,
                                                   std::string_view ocsp_der, std::chrono::sys_seconds signing_time) {
  using namespace estamp_xml;
  if (contents.empty() || contents.size() > kMaxBatchSize) return invalid_argument("a batch has 1..65536 messages");
  for (std::size_t i = 0; i < contents.size(); ++i) {
    Status valid = validate_stamp_content(contents[i]);
    if (!valid) return invalid_argument("message " + std::to_string(i) + " of the batch: " + valid.message());
  }
  XACBE_RETURN_IF_ERROR(check_ocsp_der(ocsp_der));

  // Leaves: each Message canonicalised as a child of an e:EStamp root, as a verifier finds it.
  std::vector<std::string> leaves;
  leaves.reserve(contents.size());
  {
    XACBE_ASSIGN_OR_RETURN(xml::DocPtr scratch, new_estamp_document());
    for (const auto& content : contents) {
      xml::NodePtr message(build_message(scratch.get(), content));
      xmlAddChild(xmlDocGetRootElement(scratch.get()), message.get());
      auto leaf = message_leaf_hash(scratch.get(), message.get());
      xmlUnlinkNode(message.get());
      if (!leaf) return leaf.status();
      leaves.push_back(std::move(leaf).value());
    }
  }
  XACBE_ASSIGN_OR_RETURN(std::string root, merkle_root(leaves));
  XACBE_ASSIGN_OR_RETURN(auto paths, merkle_audit_paths(leaves));

  // One signed document over the Batch; every stamp is a copy with its own Message and Proof.
  XACBE_ASSIGN_OR_RETURN(xml::DocPtr signed_doc, new_estamp_document());
  xmlNode* signed_root = xmlDocGetRootElement(signed_doc.get());
  xmlAddChild(signed_root, build_message(signed_doc.get(), contents[0]));
  xmlNode* batch = build_batch(signed_doc.get(), root, contents.size());
  xmlAddChild(signed_root, batch);
  XACBE_RETURN_IF_ERROR(sign_document(signed_doc.get(), batch, signer, ocsp_der, signing_time));

  std::vector<std::string> out;
  out.reserve(contents.size());
  for (std::size_t i = 0; i < contents.size(); ++i) {
    xml::DocPtr doc(xmlCopyDoc(signed_doc.get(), 1));
    if (!doc) return internal_error("out of memory copying the batch e-stamp");
    xmlNode* old_message = xmlFirstElementChild(xmlDocGetRootElement(doc.get()));
    xmlNode* doc_batch = xmlNextElementSibling(old_message);
    xml::NodePtr replaced(xmlReplaceNode(old_message, build_message(doc.get(), contents[i])));
    xmlAddNextSibling(doc_batch, build_proof(doc.get(), i, paths[i]));
    XACBE_ASSIGN_OR_RETURN(std::string stamp, xml::serialise(doc.get()));
    out.push_back(std::move(stamp));
  }
  return out;
}

}  // namespace xacbe::ss
