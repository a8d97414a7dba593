// Tests of http::DiscoverMetadata against a scripted Transport: the two well-known locations in
// order, the RFC 8414 §3.3 issuer check, and its documented error reasons.
#include "zta/http/discovery.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace zta::http {
namespace {

// Answers each URL from a table (404 for the rest) and records what was asked.
struct ScriptedTransport {
  std::map<std::string, Response> answers;
  std::vector<std::string> asked;
  Status failure;  // when not ok, every request fails with it

  Transport AsTransport() {
    return [this](const ClientRequest& request) -> Result<Response> {
      asked.push_back(request.url);
      EXPECT_EQ(request.method, "GET");
      EXPECT_EQ(request.headers.Get("Accept"), "application/json");
      if (!failure.ok()) return failure;
      auto it = answers.find(request.url);
      if (it == answers.end()) return Response::Json(404, Json{{"error", "not_found"}});
      return it->second;
    };
  }
};

constexpr std::chrono::milliseconds kTimeout{1000};

// RFC 8414 §3.1 puts the well-known segment before the issuer's path; OIDC appends it.
TEST(MetadataUrlsTest, BothLocationsInOrder) {
  auto plain = MetadataUrls("https://as.example/");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(*plain,
            (std::vector<std::string>{"https://as.example/.well-known/oauth-authorization-server",
                                      "https://as.example/.well-known/openid-configuration"}));
  auto tenant = MetadataUrls("https://as.example:8443/tenant/1");
  ASSERT_TRUE(tenant.ok()) << tenant.status();
  EXPECT_EQ(*tenant, (std::vector<std::string>{
                         "https://as.example:8443/.well-known/oauth-authorization-server/tenant/1",
                         "https://as.example:8443/tenant/1/.well-known/openid-configuration"}));
  EXPECT_EQ(MetadataUrls("ftp://as.example").status().reason(), kReasonBadIssuer);
  EXPECT_EQ(MetadataUrls("as.example").status().code(), StatusCode::kInvalidArgument);
}

// The RFC 8414 document is used when it names the issuer; the OIDC one is then never asked.
TEST(DiscoverMetadataTest, PrefersRfc8414) {
  ScriptedTransport t;
  t.answers["https://as.example/.well-known/oauth-authorization-server"] =
      Response::Json(200, Json{{"issuer", "https://as.example"}, {"token_endpoint", "x"}});
  auto m = DiscoverMetadata(t.AsTransport(), "https://as.example", kTimeout);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)["token_endpoint"], "x");
  EXPECT_EQ(t.asked.size(), 1u);
}

// A 404 at the first location falls through to OpenID Connect Discovery.
TEST(DiscoverMetadataTest, FallsBackToOpenIdConfiguration) {
  ScriptedTransport t;
  t.answers["https://as.example/.well-known/openid-configuration"] =
      Response::Json(200, Json{{"issuer", "https://as.example"}, {"jwks_uri", "k"}});
  auto m = DiscoverMetadata(t.AsTransport(), "https://as.example", kTimeout);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)["jwks_uri"], "k");
  EXPECT_EQ(t.asked.size(), 2u);
}

// A document naming another issuer is never used (RFC 8414 §3.3): bad_metadata when no
// location names the right one.
TEST(DiscoverMetadataTest, IssuerMismatchIsBadMetadata) {
  ScriptedTransport t;
  const Response other = Response::Json(200, Json{{"issuer", "https://evil.example"}});
  t.answers["https://as.example/.well-known/oauth-authorization-server"] = other;
  t.answers["https://as.example/.well-known/openid-configuration"] = other;
  auto m = DiscoverMetadata(t.AsTransport(), "https://as.example", kTimeout);
  EXPECT_EQ(m.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(m.status().reason(), kReasonBadMetadata);
}

// No document at all, or only non-JSON ones, is metadata_unavailable.
TEST(DiscoverMetadataTest, NothingThereIsUnavailable) {
  ScriptedTransport t;
  t.answers["https://as.example/.well-known/openid-configuration"] = Response::Text(200, "<html>");
  auto m = DiscoverMetadata(t.AsTransport(), "https://as.example", kTimeout);
  EXPECT_EQ(m.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(m.status().reason(), kReasonMetadataUnavailable);
  EXPECT_EQ(t.asked.size(), 2u);
}

// A transport failure ends discovery at once, with the transport's own status.
TEST(DiscoverMetadataTest, TransportFailureStops) {
  ScriptedTransport t;
  t.failure = Status(StatusCode::kDeadlineExceeded, "timed out", "timeout");
  auto m = DiscoverMetadata(t.AsTransport(), "https://as.example", kTimeout);
  EXPECT_EQ(m.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(m.status().reason(), "timeout");
  EXPECT_EQ(t.asked.size(), 1u);
}

// A bad issuer is refused before anything is sent.
TEST(DiscoverMetadataTest, BadIssuerSendsNothing) {
  ScriptedTransport t;
  auto m = DiscoverMetadata(t.AsTransport(), "not a url", kTimeout);
  EXPECT_EQ(m.status().reason(), kReasonBadIssuer);
  EXPECT_TRUE(t.asked.empty());
}

}  // namespace
}  // namespace zta::http
