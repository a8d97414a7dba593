// Authorization server metadata discovery (RFC 8414, OpenID Connect Discovery 1.0), written once
// for every module that needs an issuer's endpoints: the guard (jwks_uri,
// introspection_endpoint) and the agent's AuthProvider (token_endpoint).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/status.h"
#include "zta/http/client.h"

namespace zta::http {

// Reasons of DiscoverMetadata's errors (Status::reason()), besides the transport's own:
// The issuer is not an absolute http(s) URL (kInvalidArgument).
inline constexpr char kReasonBadIssuer[] = "bad_issuer";
// No location answered 200 with a JSON object (kUnavailable).
inline constexpr char kReasonMetadataUnavailable[] = "metadata_unavailable";
// A location answered with a document naming another issuer, and none named this one
// (kFailedPrecondition): a misconfigured or impersonating server, not an outage.
inline constexpr char kReasonBadMetadata[] = "bad_metadata";

// Where `issuer`'s metadata may live, in the order tried: RFC 8414 §3.1 (the well-known segment
// between host and path) then OpenID Connect Discovery 1.0 §4 (appended to the issuer). For a
// path-less issuer only the suffix differs. Fails (kReasonBadIssuer) on a non-http(s) issuer.
Result<std::vector<std::string>> MetadataUrls(std::string_view issuer);

// Fetches `issuer`'s metadata from the first location that answers 200 with a JSON object whose
// "issuer" is exactly `issuer` (RFC 8414 §3.3: else a document one party controls could
// impersonate another issuer). A location answering otherwise (404, not JSON, another issuer)
// is skipped; the last such failure is returned when none fits, with the reasons above. A
// transport failure (the transport returned an error) ends discovery at once with that error:
// both locations are on the issuer's host, so the next would fail alike. Every error has the
// context "discovering <issuer>".
// Each request: GET, Accept: application/json, `timeout`, at most 512 KiB.
Result<Json> DiscoverMetadata(const Transport& transport, const std::string& issuer,
                              std::chrono::milliseconds timeout);

}  // namespace zta::http
