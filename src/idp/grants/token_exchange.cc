// grant_type=urn:ietf:params:oauth:grant-type:token-exchange (RFC 8693 §2): an agent that
// received a delegated token (the subject token) exchanges it, proving itself with its own
// access token (the actor token), for a token that names it as the new current actor
// (docs/delegation.md, "Token exchange"). Never more than the subject token: the same subject,
// scopes and authorization_details within it, no later exp, and only along a delegation rule.
#include <algorithm>
#include <optional>

#include "../browser/authorization_request.h"
#include "../token_standing.h"
#include "access_token.h"
#include "delegated_token.h"
#include "details_subset.h"
#include "grant.h"
#include "zta/core/scopes.h"
#include "zta/idp/reasons.h"

namespace zta::idp {
namespace {

// RFC 8693 §3 token type identifiers.
constexpr char kJwtType[] = "urn:ietf:params:oauth:token-type:jwt";
constexpr char kIdTokenType[] = "urn:ietf:params:oauth:token-type:id_token";

OAuthError Refuse(std::string why, const char* reason) {
  return OAuthError::InvalidGrant(std::move(why)).WithReason(reason);
}

// What the subject token establishes, whoever issued it.
struct Subject {
  std::string subject;             // the new token's sub
  std::vector<std::string> chain;  // its actors, outermost first
  std::vector<std::string> scopes;
  Json details;                    // authorization_details array, or null
  std::string audience;            // our resource it was for; "" for an external token
  int64_t expires_at = 0;
  std::string jti;
  std::vector<std::string> parents;  // jtis it was itself exchanged from
  Json carried = Json::object();     // claims the new token repeats (zta_grant, auth_time, ...)
};

// RFC 8693 §4.4: may_act names who may act for the subject; anyone else is refused.
std::optional<OAuthError> CheckMayAct(const GrantContext& context, const Json& claims) {
  auto may_act = claims.find("may_act");
  if (may_act == claims.end()) return std::nullopt;
  bool named = may_act->is_object() && may_act->contains("sub") &&
               (*may_act)["sub"] == context.caller.client_id;
  if (named) return std::nullopt;
  return Refuse("may_act does not name the caller", kReasonMayActMismatch);
}

// A subject token this idp signed: verified, live (token_standing.h), and with an actor.
OAuthResult<Subject> OwnSubject(const GrantContext& context, const std::string& token) {
  auto verified =
      VerifyOwnAccessToken(context.keys, context.options.issuer, token, context.clock.NowSeconds());
  if (!verified.ok()) {
    context.event.attributes["zta.subject_reason"] = verified.status().reason();
    return Refuse("subject_token rejected: " + verified.status().reason(),
                  kReasonSubjectInactive);
  }
  const jose::VerifiedJwt& v = **verified;
  context.event.attributes["zta.subject_jti"] = v.jti;
  Subject s;
  std::string why = WhyInactive(context.registry, context.token_state, v, &s.chain);
  if (!why.empty()) {
    context.event.attributes["zta.subject_reason"] = why;
    return Refuse("the subject token is no longer active", kReasonSubjectInactive);
  }
  // Only a token in which an agent acts for someone is handed on. An agent's own token (no
  // act) is not: the result would read, at a resource server, as agent B acting for "user" A.
  // A user token without an actor is not either: users give agents authority by consent.
  if (s.chain.empty()) {
    return Refuse("the subject token names no acting agent", kReasonNoDelegationRule);
  }
  if (auto refused = CheckMayAct(context, v.claims)) return std::move(*refused);
  s.subject = v.subject;
  s.scopes = v.scopes;
  s.details = v.claims.value("authorization_details", Json());
  s.audience = v.audience.empty() ? "" : v.audience.front();
  s.expires_at = v.expires_at;
  s.jti = v.jti;
  s.parents = ReadParents(v.claims).value();  // WhyInactive read them already
  for (const char* claim : {"zta_grant", "auth_time", "zta_federated"}) {
    if (auto it = v.claims.find(claim); it != v.claims.end()) s.carried[claim] = *it;
  }
  return s;
}

// A subject token of another issuer: accepted only from a trusted external issuer registered
// with --allow-subject-token (docs/delegation.md, "Federation"), validated with the guard's
// rules. Its subject becomes a stable local id; no actor acts in it yet, so the caller is the
// first and no delegation rule applies (the issuer's permission and the caller's allowance do).
OAuthResult<Subject> ExternalSubject(const GrantContext& context, const std::string& token) {
  auto verified =
      context.federation.Verify(context.registry, token, FederationUse::kSubjectToken);
  if (!verified.ok()) {
    const std::string& why = verified.status().reason();
    context.event.attributes["zta.subject_reason"] = why;
    if (why == kReasonUntrustedIssuer) {
      return Refuse("the subject token's issuer is not trusted", kReasonUntrustedIssuer);
    }
    return Refuse("subject_token rejected: " + why, kReasonSubjectInactive);
  }
  const FederatedToken& f = *verified;
  context.event.attributes["zta.subject_issuer"] = f.issuer;
  if (!f.jti.empty()) context.event.attributes["zta.subject_jti"] = f.jti;
  // An external actor chain names agents this registry does not know: refused, not dropped.
  if (f.claims.contains("act")) {
    context.event.attributes["zta.subject_reason"] = "external_act";
    return Refuse("an external subject token may not carry act", kReasonSubjectInactive);
  }
  if (auto refused = CheckMayAct(context, f.claims)) return std::move(*refused);
  // An agent's own workload identity is not a person: exchanged, it would read as that agent
  // acting for a "user". Refused when any agent is registered with this external subject, or
  // the issuer marks the token app-only (Entra idtyp "app").
  for (const auto& [id, agent] : context.registry.agents) {
    for (const FederatedSubject& fs : agent.federated_subjects) {
      if (fs.issuer == f.issuer && fs.subject == f.subject) {
        context.event.attributes["zta.subject_reason"] = "workload_identity";
        return Refuse("the subject token is an agent's own identity", kReasonSubjectInactive);
      }
    }
  }
  if (f.claims.value("idtyp", Json()) == "app") {
    context.event.attributes["zta.subject_reason"] = "app_only_token";
    return Refuse("the subject token is an app-only token", kReasonSubjectInactive);
  }
  if (f.expires_at <= context.clock.NowSeconds()) {  // within the guard's leeway, still past
    context.event.attributes["zta.subject_reason"] = "expired";
    return Refuse("the subject token has expired", kReasonSubjectInactive);
  }
  Subject s;
  s.subject = f.local_subject;
  s.scopes = f.scopes;
  // Federation vouches for who the subject is and its mapped scopes, not for approvals: an
  // external token's authorization_details are not carried into ours.
  s.expires_at = f.expires_at;
  s.carried["zta_federated"] = {{"iss", f.issuer}, {"sub", f.subject}};
  return s;
}

OAuthResult<Subject> ReadSubject(const GrantContext& context) {
  const std::string& token = context.Field("subject_token");
  const std::string& type = context.Field("subject_token_type");
  if (token.empty() || type.empty()) {
    return OAuthError::InvalidRequest("subject_token and subject_token_type are required");
  }
  if (type != kAccessTokenType && type != kJwtType && type != kIdTokenType) {
    return OAuthError::InvalidRequest("subject_token_type must be access_token, jwt or id_token");
  }
  if (type == kIdTokenType || PeekIssuer(token) != context.options.issuer) {
    return ExternalSubject(context, token);
  }
  return OwnSubject(context, token);
}

// RFC 8693 §2.1 resource and audience both name the target service: here a registered
// resource. A delegated token is exchanged for its own resource only (its scopes mean something
// there alone); the rule may narrow that to one resource.
OAuthResult<const Resource*> SelectTarget(const GrantContext& context, const Subject& subject,
                                          const DelegationRule& rule) {
  std::string resource = context.Field("resource");
  const std::string& audience = context.Field("audience");
  if (!resource.empty() && !audience.empty() && resource != audience) {
    return OAuthError::InvalidTarget("resource and audience name different targets");
  }
  if (resource.empty()) resource = audience.empty() ? subject.audience : audience;
  context.event.resource = resource;
  const Resource* target = context.registry.FindResource(resource);
  if (!target) return OAuthError::InvalidTarget("resource is not registered");
  auto refused = [](std::string why) {
    return OAuthError::InvalidTarget(std::move(why)).WithReason(kReasonResourceNotDelegated);
  };
  if (!subject.audience.empty() && resource != subject.audience) {
    return refused("a delegated token is exchanged only for the resource it was issued for");
  }
  if (!rule.resource.empty() && rule.resource != resource) {
    return refused("the delegation rule does not cover this resource");
  }
  return target;
}

// The scopes of the new token: the requested ones (default: all the subject has), each carried
// by the subject token, passed on by the rule, allowed to the caller there and defined by it.
OAuthResult<std::vector<std::string>> ExchangeScopes(const GrantContext& context,
                                                     const Subject& subject,
                                                     const DelegationRule& rule,
                                                     const Resource& target) {
  std::vector<std::string> requested = SplitSpaceDelimited(context.Field("scope"));
  context.event.scopes_requested = requested;
  const bool explicit_request = !requested.empty();
  if (!explicit_request) requested = subject.scopes;
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  std::vector<std::string> passable =
      DelegatedScopes(subject.scopes, context.caller.agent, target);
  std::vector<std::string> granted;
  for (const std::string& s : requested) {
    if (!has(subject.scopes, s)) {
      return OAuthError::InvalidScope("scope " + s + " is not in the subject token")
          .WithReason(kReasonScopeEscalation);
    }
    bool delegated = has(passable, s) && !IsOpenIdScope(s) &&
                     (rule.scopes.empty() || has(rule.scopes, s));
    if (!delegated && explicit_request) {
      return OAuthError::InvalidScope("scope " + s + " is not delegated to the caller")
          .WithReason(kReasonScopeNotDelegated);
    }
    if (delegated && !has(granted, s)) granted.push_back(s);
  }
  if (granted.empty()) {
    return OAuthError::InvalidScope("no scope of the subject token is delegated to the caller")
        .WithReason(kReasonScopeNotDelegated);
  }
  return granted;
}

// The authorization_details of the new token: the requested entries, each within one of the
// subject's (details_subset.h); default: the subject's own.
OAuthResult<Json> ExchangeDetails(const GrantContext& context, const Subject& subject,
                                  const Resource& target) {
  const std::string& text = context.Field("authorization_details");
  if (text.empty()) return subject.details;
  auto requested = ParseJsonStrict(text);
  if (!requested.ok() || !requested->is_array() || requested->empty()) {
    return OAuthError::InvalidAuthorizationDetails(
        "authorization_details must be a non-empty JSON array");
  }
  std::string why = WhyDetailsExceed(*requested, subject.details);
  if (!why.empty()) {
    return OAuthError::InvalidAuthorizationDetails(why).WithReason(kReasonDetailsEscalation);
  }
  // Then the same reading as /authorize: 1 to 16 entries, each of a type the resource declares
  // and valid against its schema (RFC 9396 §5), so repeats and oddities stop here too.
  Json parsed;
  if (auto problem = browser::ParseAuthorizationDetails(text, target, &parsed)) {
    return OAuthError::InvalidAuthorizationDetails(*problem);
  }
  return parsed;
}

// RFC 8693 §4.1: the new actor outermost, the earlier chain nested inside it.
Json NestedAct(const std::vector<std::string>& chain) {
  Json act;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    Json outer = {{"sub", *it}};
    if (!act.is_null()) outer["act"] = std::move(act);
    act = std::move(outer);
  }
  return act;
}

// The rule that lets the caller act after the subject's current actor, within the depth cap.
// An external subject has no actor yet: the caller becomes the first, under no rule.
OAuthResult<const DelegationRule*> FindRule(const GrantContext& context, const Subject& subject) {
  static const DelegationRule kFirstActor;  // any resource, the scopes the subject has
  if (subject.chain.empty()) return &kFirstActor;
  const std::string& caller = context.caller.client_id;
  const std::string& current = subject.chain.front();
  const DelegationRule* rule = context.registry.FindDelegationRule(current, caller);
  if (!rule) {
    return Refuse("no delegation rule lets " + caller + " act after " + current,
                  kReasonNoDelegationRule);
  }
  int cap = context.options.max_actor_chain_depth;
  if (rule->max_depth > 0) cap = std::min(cap, rule->max_depth);
  if (static_cast<int>(subject.chain.size()) + 1 > cap) {
    return Refuse("the actor chain would be longer than " + std::to_string(cap),
                  kReasonChainTooDeep);
  }
  return rule;
}

}  // namespace

GrantResult TokenExchangeGrant(const GrantContext& context) {
  // The caller is the new actor: only an agent acts.
  const Agent* agent = context.caller.agent;
  if (!agent) return OAuthError::UnauthorizedClient("only agents exchange tokens");
  const std::string& requested_type = context.Field("requested_token_type");
  if (!requested_type.empty() && requested_type != kAccessTokenType) {
    return OAuthError::InvalidRequest("requested_token_type must be access_token");
  }
  // RFC 8693 §2.1 actor_token: the caller's own access token, required here.
  auto actor = CheckActor(context, agent->client_id);
  if (!actor.ok()) return std::move(actor).error();
  auto subject = ReadSubject(context);
  if (!subject.ok()) return std::move(subject).error();
  Subject& s = *subject;
  context.event.subject = s.subject;
  context.event.actor_chain = s.chain;
  context.event.attributes["zta.scopes_before"] = JoinSpaceDelimited(s.scopes);
  auto rule = FindRule(context, s);
  if (!rule.ok()) return std::move(rule).error();
  auto target = SelectTarget(context, s, **rule);
  if (!target.ok()) return std::move(target).error();
  auto scopes = ExchangeScopes(context, s, **rule, **target);
  if (!scopes.ok()) return std::move(scopes).error();
  auto details = ExchangeDetails(context, s, **target);
  if (!details.ok()) return std::move(details).error();

  std::vector<std::string> chain = s.chain;
  chain.insert(chain.begin(), agent->client_id);
  std::vector<std::string> parents = s.parents;
  if (!s.jti.empty()) parents.insert(parents.begin(), s.jti);

  AccessTokenSpec spec;
  spec.subject = s.subject;
  spec.client_id = agent->client_id;
  spec.resource = *target;
  spec.scopes = *scopes;
  spec.max_ttl_seconds = agent->max_token_ttl_seconds;
  spec.not_after = s.expires_at;  // never past the subject token
  spec.claims = s.carried;
  spec.claims["act"] = NestedAct(chain);
  spec.claims["zta_agent"] = AgentClaim(*agent);
  if (!parents.empty()) spec.claims["zta_parents"] = parents;
  if (!details->is_null()) spec.claims["authorization_details"] = *details;

  AuditEvent& event = context.event;
  event.actor_chain = chain;
  event.scopes_granted = spec.scopes;
  event.attributes["zta.exchange"] = true;
  if (s.carried.contains("zta_grant")) event.attributes["zta.grant"] = s.carried["zta_grant"];
  std::string digest = DetailsDigest(*details);
  if (!digest.empty()) event.attributes["zta.details_digest"] = digest;

  GrantResult issued = IssueAccessToken(context, spec);
  if (!issued.ok()) return issued;
  Json body = std::move(*issued);
  body["issued_token_type"] = kAccessTokenType;  // RFC 8693 §2.2.1
  if (!details->is_null()) body["authorization_details"] = *details;
  return body;
}

}  // namespace zta::idp
