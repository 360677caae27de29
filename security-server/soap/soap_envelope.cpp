#include "soap/soap_envelope.hpp"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <strings.h>

#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "exchange/message.hpp"
#include "soap/markup_scan.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::ss::soap {
namespace {

struct ParserDeleter {
  void operator()(xmlParserCtxt* ctxt) const noexcept { xmlFreeParserCtxt(ctxt); }
};
using ParserPtr = std::unique_ptr<xmlParserCtxt, ParserDeleter>;
struct DocDeleter {
  void operator()(xmlDoc* doc) const noexcept { xmlFreeDoc(doc); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocDeleter>;

// Nodes of the tree libxml2 may build: the Envelope, its children, the Header's children and
// their text. A real header has a few dozen.
constexpr std::size_t kMaxTreeNodes = 1024;

const char* c(const xmlChar* s) {
  return reinterpret_cast<const char*>(s);
}
bool equals(const xmlChar* s, std::string_view expected) {
  return s != nullptr && std::string_view(c(s)) == expected;
}

// What the SAX guards know while libxml2 parses; ctxt->_private points here.
struct Guard {
  const Limits* limits = nullptr;
  std::string failure;       // the first refusal; libxml2 was stopped
  std::size_t depth = 0;     // of the element open now; the Envelope is 1
  bool in_header = false;    // inside soapenv:Header (depth 2)
  std::size_t text_run = 0;  // bytes of the character data since the last tag
  std::size_t tree_nodes = 0;
  std::set<const xmlNode*> with_elements;  // header children that hold elements (not built)
  xmlSAXHandler tree{};                    // libxml2's own tree-building handlers
};

Guard& guard_of(void* ctx) {
  return *static_cast<Guard*>(static_cast<xmlParserCtxt*>(ctx)->_private);
}

void stop(void* ctx, std::string why) {
  Guard& g = guard_of(ctx);
  if (g.failure.empty()) g.failure = std::move(why);
  xmlStopParser(static_cast<xmlParserCtxt*>(ctx));
}

// Whether the element at the depth now open is one the tree keeps.
bool builds_element(const Guard& g) {
  return g.depth <= 2 || (g.depth == 3 && g.in_header);
}
bool builds_text(const Guard& g) {
  return g.depth == 1 || (g.in_header && (g.depth == 2 || g.depth == 3));
}

bool counts_node(void* ctx) {
  Guard& g = guard_of(ctx);
  if (++g.tree_nodes <= kMaxTreeNodes) return true;
  stop(ctx, "more than " + std::to_string(kMaxTreeNodes) + " elements and texts outside soapenv:Body");
  return false;
}

void on_start(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri, int nb_namespaces,
              const xmlChar** namespaces, int nb_attributes, int nb_defaulted, const xmlChar** attributes) {
  Guard& g = guard_of(ctx);
  g.text_run = 0;
  ++g.depth;
  if (g.depth > g.limits->max_depth) {
    return stop(ctx, "elements nested deeper than " + std::to_string(g.limits->max_depth));
  }
  if (static_cast<std::size_t>(nb_namespaces) + static_cast<std::size_t>(nb_attributes) > g.limits->max_attributes) {
    return stop(ctx, "an element with more than " + std::to_string(g.limits->max_attributes) + " attributes");
  }
  if (g.depth == 2 && equals(localname, "Header") && equals(uri, kEnvelopeNamespace)) g.in_header = true;
  if (g.depth == 4 && g.in_header) g.with_elements.insert(static_cast<xmlParserCtxt*>(ctx)->node);
  if (!builds_element(g) || !counts_node(ctx)) return;
  g.tree.startElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
                        attributes);
}

void on_end(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri) {
  Guard& g = guard_of(ctx);
  g.text_run = 0;
  if (builds_element(g)) g.tree.endElementNs(ctx, localname, prefix, uri);
  if (g.depth == 2) g.in_header = false;
  if (g.depth > 0) --g.depth;
}

void on_text(void* ctx, const xmlChar* text, int length) {
  Guard& g = guard_of(ctx);
  if (length <= 0) return;
  const bool first = g.text_run == 0;
  g.text_run += static_cast<std::size_t>(length);
  if (g.text_run > g.limits->max_text_bytes) {
    return stop(ctx, "a text node larger than " + std::to_string(g.limits->max_text_bytes) + " bytes");
  }
  if (!builds_text(g) || (first && !counts_node(ctx))) return;
  g.tree.characters(ctx, text, length);
}

void on_doctype(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  stop(ctx, "a DOCTYPE is not allowed");
}
void on_entity(void* ctx, const xmlChar*, int, const xmlChar*, const xmlChar*, xmlChar*) {
  stop(ctx, "an entity declaration is not allowed");
}
void ignore_comment(void*, const xmlChar*) {}
void ignore_instruction(void*, const xmlChar*, const xmlChar*) {}
void ignore_error(void*, xmlErrorPtr) {}

void initialise_once() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

struct Parsed {
  DocPtr doc;
  std::set<const xmlNode*> with_elements;
};

// libxml2 under the guards; the document (Envelope and header only) or the refusal.
Result<Parsed> parse_guarded(std::string_view bytes, const Limits& limits) {
  initialise_once();
  ParserPtr ctxt(xmlCreateMemoryParserCtxt(bytes.data(), static_cast<int>(bytes.size())));
  if (!ctxt || ctxt->sax == nullptr) return internal_error("libxml2 could not make a parser");
  // No XML_PARSE_NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE or HUGE: nothing is substituted,
  // loaded or fetched, and libxml2 keeps its own limits under ours.
  xmlCtxtUseOptions(ctxt.get(), XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
  Guard guard;
  guard.limits = &limits;
  guard.tree = *ctxt->sax;
  xmlSAXHandler* sax = ctxt->sax;
  sax->startElementNs = on_start;
  sax->endElementNs = on_end;
  sax->characters = on_text;
  sax->cdataBlock = on_text;
  sax->ignorableWhitespace = on_text;
  sax->internalSubset = on_doctype;
  sax->externalSubset = on_doctype;
  sax->entityDecl = on_entity;
  sax->comment = ignore_comment;
  sax->processingInstruction = ignore_instruction;
  sax->serror = ignore_error;
  ctxt->_private = &guard;
  xmlParseDocument(ctxt.get());
  DocPtr doc(ctxt->myDoc);
  ctxt->myDoc = nullptr;
  if (!guard.failure.empty()) return invalid_argument(guard.failure);
  if (!ctxt->wellFormed || !doc) {
    const xmlError* e = xmlCtxtGetLastError(ctxt.get());
    std::string why = e != nullptr && e->message != nullptr ? excerpt(e->message, 120) : "";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    std::string message = "not well-formed XML";
    if (!why.empty()) message += ": " + why;
    return invalid_argument(message);
  }
  // Declared in another encoding, the same bytes would mean other text to the provider.
  if (doc->encoding != nullptr && strcasecmp(c(doc->encoding), "UTF-8") != 0) {
    return invalid_argument("the envelope must be UTF-8");
  }
  return Parsed{std::move(doc), std::move(guard.with_elements)};
}

bool is_whitespace(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Element children of `node`; refuses text that is not whitespace between them.
Result<std::vector<xmlNode*>> element_children(xmlNode* node, std::string_view what) {
  std::vector<xmlNode*> out;
  for (xmlNode* n = node->children; n != nullptr; n = n->next) {
    if (n->type == XML_ELEMENT_NODE) {
      out.push_back(n);
    } else if (n->type == XML_TEXT_NODE && n->content != nullptr && !is_whitespace(c(n->content))) {
      return invalid_argument("text directly in " + std::string(what));
    }
  }
  return out;
}

bool in_namespace(const xmlNode* n, std::string_view ns) {
  return n->ns != nullptr && equals(n->ns->href, ns);
}

// The header fields, by local name, each once at most.
Result<std::map<std::string, std::string, std::less<>>> header_fields(xmlNode* header,
                                                                      const std::set<const xmlNode*>& with_elements) {
  static const std::set<std::string, std::less<>> kKnown{"client", "service", "id",
                                                         "userId", "issue",   "protocolVersion",
                                                         "representedParty"};
  std::map<std::string, std::string, std::less<>> out;
  XACBE_ASSIGN_OR_RETURN(std::vector<xmlNode*> blocks, element_children(header, "soapenv:Header"));
  for (xmlNode* block : blocks) {
    if (!in_namespace(block, kNamespace)) continue;  // another party's header block
    const std::string name = c(block->name);
    if (kKnown.count(name) == 0) return invalid_argument(std::string("unknown header element ") + excerpt(name, 40));
    if (out.count(name) != 0) return invalid_argument("header element " + name + " given more than once");
    if (with_elements.count(block) != 0)
      return invalid_argument("header element " + name + " holds elements, not text");
    std::string text;
    for (xmlNode* t = block->children; t != nullptr; t = t->next) {
      if (t->type == XML_TEXT_NODE && t->content != nullptr) text += c(t->content);
    }
    out.emplace(name, std::move(text));
  }
  return out;
}

Result<SoapHeader> read_header(const std::map<std::string, std::string, std::less<>>& fields) {
  auto field = [&](const char* name) -> const std::string* {
    auto it = fields.find(name);
    return it == fields.end() ? nullptr : &it->second;
  };
  for (const char* required : {"protocolVersion", "client", "service", "id"}) {
    if (field(required) == nullptr) return invalid_argument(std::string("header element ") + required + " is required");
  }
  if (*field("protocolVersion") != kProtocolVersion) {
    return invalid_argument(std::string("protocolVersion ") + excerpt(*field("protocolVersion"), 16) +
                            " is not supported (only 1.0)");
  }
  auto client = id::ClientId::parse(*field("client"));
  if (!client.is_ok()) return invalid_argument(std::string("client: ") + log::bounded(client.status().message(), 200));
  auto service = id::ServiceId::parse(*field("service"));
  if (!service.is_ok())
    return invalid_argument(std::string("service: ") + log::bounded(service.status().message(), 200));
  SoapHeader h{std::move(client).value(), std::move(service).value(), *field("id"), {}, {}, *field("protocolVersion")};
  if (!is_message_id(h.message_id)) return invalid_argument("id: 1..255 of [A-Za-z0-9._:@+=-]");
  if (const std::string* u = field("userId")) h.user_id = *u;
  if (const std::string* i = field("issue")) h.issue = *i;
  if (!is_header_text(h.user_id) || !is_header_text(h.issue)) {
    return invalid_argument("userId and issue: up to 255 bytes of UTF-8 text without control characters");
  }
  if (const std::string* p = field("representedParty")) {
    Status party = check_represented_party(*p);
    if (!party.is_ok()) return invalid_argument("representedParty: " + party.message());
    h.represented_party = *p;
  }
  return h;
}

}  // namespace

Result<SoapHeader> parse_envelope(std::string_view bytes, const Limits& limits) {
  if (bytes.empty()) return invalid_argument("empty body: a SOAP envelope is required");
  if (bytes.size() > limits.max_bytes || bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return invalid_argument("envelope larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  if (!is_utf8(bytes) || bytes.find('\0') != std::string_view::npos)
    return invalid_argument("the envelope is not valid UTF-8");
  if (limits.scan_markup) XACBE_RETURN_IF_ERROR(scan_markup(bytes, limits.max_depth, limits.max_attributes));
  XACBE_ASSIGN_OR_RETURN(Parsed parsed, parse_guarded(bytes, limits));
  xmlNode* envelope = xmlDocGetRootElement(parsed.doc.get());
  if (envelope == nullptr || !equals(envelope->name, "Envelope"))
    return invalid_argument("the root is not a SOAP Envelope");
  if (in_namespace(envelope, kSoap12Namespace))
    return invalid_argument("a SOAP 1.2 envelope: only SOAP 1.1 is accepted");
  if (!in_namespace(envelope, kEnvelopeNamespace)) return invalid_argument("the root is not a SOAP 1.1 Envelope");
  XACBE_ASSIGN_OR_RETURN(std::vector<xmlNode*> parts, element_children(envelope, "soapenv:Envelope"));
  auto is_part = [](const xmlNode* n, std::string_view name) {
    return in_namespace(n, kEnvelopeNamespace) && equals(n->name, name);
  };
  if (parts.size() != 2 || !is_part(parts[0], "Header") || !is_part(parts[1], "Body")) {
    return invalid_argument("the Envelope must hold exactly soapenv:Header then soapenv:Body");
  }
  XACBE_ASSIGN_OR_RETURN(auto fields, header_fields(parts[0], parsed.with_elements));
  return read_header(fields);
}

}  // namespace xacbe::ss::soap
