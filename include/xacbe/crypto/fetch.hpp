#pragma once
// How the OCSP and TSA clients reach their servers: one HTTP exchange per call, given as a
// callable so that the protocol code does not care whether it runs over the synchronous
// net::http_request or a pooled asynchronous client. A Fetch returns the HTTP response whatever
// its status; errors are for exchanges that did not complete (kUnavailable, kDeadlineExceeded,
// kInvalidArgument for a bad URL or an oversize answer).

#include <functional>
#include <memory>
#include <string>

#include "xacbe/net/http.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/result.hpp"

namespace xacbe::crypto {

// `url` is the full URL to ask (for an OCSP GET, with the encoded request as its last segment);
// `request` carries method, headers and body. Must be safe to call from several threads.
using Fetch = std::function<Result<net::HttpResponse>(const std::string& url, net::HttpRequest request)>;

// A Fetch over net::http_request with `options` (timeout, body limit, TLS context): one connection
// per call.
Fetch http_fetch(net::ClientOptions options = {});
// A Fetch over a pooled client's kept-alive connections (the OCSP cache's refreshes, a TSA client
// stamping often). Blocks the calling thread, which must not be one of `client`'s own.
Fetch pooled_fetch(std::shared_ptr<net::HttpClient> client, net::ClientOptions options = {});

// Content-Type without parameters, lower case: "Application/OCSP-Response; x=y" -> "application/ocsp-response".
std::string media_type(const net::HttpResponse& response);

}  // namespace xacbe::crypto
