#include "token_standing.h"

#include "zta/idp/reasons.h"

namespace zta::idp {
namespace {

Status BadChain(std::string why) {
  return Status(StatusCode::kInvalidArgument, std::move(why), kReasonBadActorChain);
}

// "" when the agent named `client_id` is registered and enabled, else why not.
std::string AgentStanding(const RegistrySnapshot& registry, const std::string& client_id) {
  const Agent* agent = registry.FindAgent(client_id);
  if (!agent) return kReasonAgentDeleted;
  if (!agent->enabled) return kReasonAgentDisabled;
  return "";
}

// "" when the user's grant behind a delegated token, the user and the app still stand.
std::string GrantStanding(const RegistrySnapshot& registry, TokenStateStore& token_state,
                          const Json& grant_claim, const std::string& subject) {
  if (!grant_claim.is_string()) return kReasonGrantRevoked;
  auto grant = token_state.FindGrant(grant_claim.get<std::string>());
  if (!grant.ok() || !grant->has_value() || (*grant)->revoked_at != 0) return kReasonGrantRevoked;
  const DelegatedGrant& g = **grant;
  if (g.user_id != subject) return kReasonGrantRevoked;  // a grant is one user's
  const User* user = registry.FindUser(subject);
  if (!user) return kReasonUserDeleted;
  if (!user->enabled) return kReasonUserDisabled;
  // Grants approved by backchannel (CIBA) have no app: the agent itself is the client.
  if (!g.app_id.empty()) {
    const App* app = registry.FindApp(g.app_id);
    if (!app || !app->enabled) return kReasonAppDisabled;
  }
  return "";
}

}  // namespace

Result<std::vector<std::string>> ReadActorChain(const Json& claims) {
  std::vector<std::string> chain;
  const Json* act = nullptr;
  if (auto it = claims.find("act"); it != claims.end()) act = &*it;
  while (act != nullptr) {
    if (!act->is_object()) return BadChain("act is not an object");
    auto sub = act->find("sub");
    if (sub == act->end() || !sub->is_string() || sub->get<std::string>().empty()) {
      return BadChain("act has no string sub");
    }
    if (chain.size() >= static_cast<size_t>(kMaxActNesting)) return BadChain("act nests too deep");
    chain.push_back(sub->get<std::string>());
    auto inner = act->find("act");
    act = inner == act->end() ? nullptr : &*inner;
  }
  return chain;
}

Result<std::vector<std::string>> ReadParents(const Json& claims) {
  std::vector<std::string> parents;
  auto it = claims.find("zta_parents");
  if (it == claims.end()) return parents;
  if (!it->is_array() || it->size() > kMaxParents) {
    return Status(StatusCode::kInvalidArgument, "zta_parents is not a short array");
  }
  for (const Json& jti : *it) {
    if (!jti.is_string()) return Status(StatusCode::kInvalidArgument, "zta_parents: not a jti");
    parents.push_back(jti.get<std::string>());
  }
  return parents;
}

std::string WhyInactive(const RegistrySnapshot& registry, TokenStateStore& token_state,
                        const jose::VerifiedJwt& v, std::vector<std::string>* actor_chain) {
  auto revoked = token_state.IsRevoked(v.jti);
  if (!revoked.ok() || *revoked) return kReasonRevoked;
  auto parents = ReadParents(v.claims);
  if (!parents.ok()) return kReasonParentRevoked;
  for (const std::string& jti : *parents) {
    auto parent_revoked = token_state.IsRevoked(jti);
    if (!parent_revoked.ok() || *parent_revoked) return kReasonParentRevoked;
  }
  auto chain = ReadActorChain(v.claims);
  if (!chain.ok()) return kReasonBadActorChain;
  for (const std::string& actor : *chain) {
    if (std::string why = AgentStanding(registry, actor); !why.empty()) return why;
  }
  if (actor_chain) *actor_chain = *chain;
  if (auto grant = v.claims.find("zta_grant"); grant != v.claims.end()) {
    return GrantStanding(registry, token_state, *grant, v.subject);
  }
  // Exchanged from a trusted external issuer's token: live while that issuer is still trusted
  // for subject tokens (its sub is the external subject's local id).
  if (auto fed = v.claims.find("zta_federated"); fed != v.claims.end()) {
    const FederatedIssuer* issuer =
        fed->is_object() && fed->contains("iss") && (*fed)["iss"].is_string()
            ? registry.FindFederatedIssuer((*fed)["iss"].get<std::string>())
            : nullptr;
    return issuer && issuer->allow_subject_token ? "" : kReasonUntrustedIssuer;
  }
  // The agent as itself (client credentials): sub = client_id = the agent, which must stand.
  if (std::string why = AgentStanding(registry, v.client_id); !why.empty()) return why;
  if (v.subject != v.client_id) return kReasonAgentDeleted;  // no such token is ever issued
  return "";
}

}  // namespace zta::idp
