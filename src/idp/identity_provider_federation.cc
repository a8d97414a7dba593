// Administering trusted external issuers (`zta idp federation ...`) and the federated subjects
// of agents. What is checked when their tokens arrive: federation.h.
#include <algorithm>

#include "zta/http/message.h"
#include "zta/idp/identity_provider.h"

namespace zta::idp {
namespace {

bool IsLoopbackHost(const std::string& host) {
  return host == "127.0.0.1" || host == "[::1]" || host == "localhost";
}

// An issuer or key-set URL: https, or http on loopback only (a token's keys fetched in the clear
// from another host could be swapped by anyone on the path, RFC 8414 §2 requires https).
Status CheckUrl(const std::string& what, const std::string& url, bool is_issuer) {
  auto parsed = http::ParseUrl(url);
  if (!parsed.ok() || (parsed->scheme != "https" && parsed->scheme != "http")) {
    return InvalidArgument(what + " must be an absolute https URL, got '" + url + "'");
  }
  if (parsed->scheme == "http" && !IsLoopbackHost(parsed->host)) {
    return InvalidArgument(what +
                           " must use https (http only on loopback: 127.0.0.1, [::1], "
                           "localhost), got '" +
                           url + "'");
  }
  // RFC 8414 §2: an issuer has no query or fragment (it is compared byte for byte with iss).
  if (is_issuer && url.find_first_of("?#") != std::string::npos) {
    return InvalidArgument(what + " must not have a query or fragment");
  }
  return Status::Ok();
}

// "EXTERNAL=scope" into `map`.
Status AddClaimMapping(const std::string& mapping, std::map<std::string, std::string>& map) {
  size_t eq = mapping.find('=');
  if (eq == std::string::npos || eq == 0) {
    return InvalidArgument("--map-claim takes CLAIM=scope, got '" + mapping + "'");
  }
  std::string target = mapping.substr(eq + 1);
  if (target != "scope") {
    return InvalidArgument("--map-claim " + mapping + ": the only target is scope");
  }
  map[mapping.substr(0, eq)] = target;
  return Status::Ok();
}

Result<FederatedIssuer> RecordOf(const FederatedIssuerSpec& spec) {
  ZTA_RETURN_IF_ERROR(CheckUrl("the issuer", spec.issuer, true));
  if (!spec.jwks_uri.empty()) ZTA_RETURN_IF_ERROR(CheckUrl("--jwks-uri", spec.jwks_uri, false));
  if (spec.audience.empty()) {
    return InvalidArgument("--audience is required: the aud this issuer's tokens carry for us");
  }
  if (!spec.allow_subject_token && !spec.allow_client_assertion) {
    return InvalidArgument(
        "say what the issuer is trusted for: --allow-subject-token and/or "
        "--allow-client-assertion");
  }
  FederatedIssuer f;
  f.issuer = spec.issuer;
  f.jwks_uri = spec.jwks_uri;
  f.audience = spec.audience;
  f.subject_claim = spec.subject_claim.empty() ? "sub" : spec.subject_claim;
  if (f.subject_claim != "sub" && f.subject_claim != "oid") {
    return InvalidArgument("--subject-claim must be sub or oid, got '" + f.subject_claim + "'");
  }
  if (!spec.map_claims.empty()) {
    f.claim_map.clear();
    for (const auto& m : spec.map_claims) ZTA_RETURN_IF_ERROR(AddClaimMapping(m, f.claim_map));
  }
  f.allowed_typ = spec.allowed_typ;
  f.allow_subject_token = spec.allow_subject_token;
  f.allow_client_assertion = spec.allow_client_assertion;
  return f;
}

}  // namespace

Json IdentityProvider::FederatedIssuerPublicView(const FederatedIssuer& f) {
  return {{"issuer", f.issuer},
          {"jwks_uri", f.jwks_uri},
          {"audience", f.audience},
          {"subject_claim", f.subject_claim},
          {"claim_map", f.claim_map},
          {"typ", f.allowed_typ},
          {"allow_subject_token", f.allow_subject_token},
          {"allow_client_assertion", f.allow_client_assertion},
          {"created_at", f.created_at}};
}

Status IdentityProvider::ValidateFederatedSubjects(const std::vector<FederatedSubject>& subjects,
                                                   const RegistrySnapshot& registry) {
  for (const auto& s : subjects) {
    if (s.subject.empty()) {
      return InvalidArgument("--federated-subject takes ISSUER=SUBJECT, the subject is empty");
    }
    if (!registry.FindFederatedIssuer(s.issuer)) {
      return Status(StatusCode::kNotFound, "unknown federated issuer " + s.issuer +
                                               " (add it first: zta idp federation add)");
    }
  }
  return Status::Ok();
}

Result<Json> IdentityProvider::AddFederatedIssuer(const FederatedIssuerSpec& spec) {
  ZTA_ASSIGN_OR_RETURN(FederatedIssuer f, RecordOf(spec));
  f.created_at = clock_.NowSeconds();
  ZTA_RETURN_IF_ERROR(store_->PutFederatedIssuer(f));
  AuditEvent e;
  e.component = "idp";
  e.action = "registry.federation.add";
  e.decision = AuditDecision::kAllow;
  e.time_micros = clock_.NowMicros();
  e.attributes["zta.federated_issuer"] = f.issuer;
  (void)audit_.Append(std::move(e));
  return FederatedIssuerPublicView(f);
}

Result<Json> IdentityProvider::ListFederatedIssuers() {
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  Json out = Json::array();
  for (const auto& [issuer, f] : registry->federated_issuers) {
    out.push_back(FederatedIssuerPublicView(f));
  }
  return out;
}

Status IdentityProvider::RemoveFederatedIssuer(const std::string& issuer) {
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  if (!registry->FindFederatedIssuer(issuer)) {
    return Status(StatusCode::kNotFound, "no federated issuer " + issuer);
  }
  // Agents keep their (issuer, subject) entries: they no longer authenticate anyone (the
  // issuer is untrusted) and work again if the issuer is added back.
  ZTA_RETURN_IF_ERROR(store_->DeleteFederatedIssuer(issuer));
  AuditEvent e;
  e.component = "idp";
  e.action = "registry.federation.remove";
  e.decision = AuditDecision::kAllow;
  e.time_micros = clock_.NowMicros();
  e.attributes["zta.federated_issuer"] = issuer;
  (void)audit_.Append(std::move(e));
  return Status::Ok();
}

}  // namespace zta::idp
