// IdentityProvider's administration of delegation rules: who may exchange a token whose current
// actor is whom (RFC 8693 token exchange; docs/delegation.md, "Delegation rules").
#include <algorithm>

#include "zta/core/scopes.h"
#include "zta/idp/identity_provider.h"
#include "zta/idp/sql_idp_store.h"

namespace zta::idp {
namespace {

constexpr int kMaxRuleDepth = 16;

Status CheckRuleSpec(const RegistrySnapshot& registry, const DelegationRuleSpec& spec) {
  for (const std::string* id : {&spec.from, &spec.to}) {
    if (!registry.FindAgent(*id)) return NotFound("no agent " + *id);
  }
  if (spec.from == spec.to) return InvalidArgument("an agent does not delegate to itself");
  if (spec.max_depth < 0 || spec.max_depth > kMaxRuleDepth) {
    return InvalidArgument("--max-depth must be between 1 and 16 (0: the server cap)");
  }
  if (spec.resource.empty()) {
    for (const std::string& s : spec.scopes) {
      if (!IsScopeToken(s)) return InvalidArgument("not a scope: " + s);
    }
    return Status::Ok();
  }
  const Resource* resource = registry.FindResource(spec.resource);
  if (!resource) return NotFound("no resource " + spec.resource);
  for (const std::string& s : spec.scopes) {
    if (std::find(resource->scopes.begin(), resource->scopes.end(), s) == resource->scopes.end()) {
      return InvalidArgument("scope " + s + " is not defined by " + spec.resource);
    }
  }
  return Status::Ok();
}

}  // namespace

Json IdentityProvider::DelegationRulePublicView(const DelegationRule& rule) {
  return {{"from", rule.from},
          {"to", rule.to},
          {"resource", rule.resource.empty() ? Json("any") : Json(rule.resource)},
          {"scopes", rule.scopes.empty() ? Json("any") : Json(rule.scopes)},
          {"max_depth", rule.max_depth},
          {"created_at", rule.created_at}};
}

Result<Json> IdentityProvider::AddDelegationRule(const DelegationRuleSpec& spec) {
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  ZTA_RETURN_IF_ERROR(CheckRuleSpec(*registry, spec));
  DelegationRule rule;
  rule.from = spec.from;
  rule.to = spec.to;
  rule.resource = spec.resource;
  for (const std::string& s : spec.scopes) {
    if (std::find(rule.scopes.begin(), rule.scopes.end(), s) == rule.scopes.end()) {
      rule.scopes.push_back(s);
    }
  }
  rule.max_depth = spec.max_depth;
  rule.created_at = clock_.NowSeconds();
  ZTA_RETURN_IF_ERROR(store_->PutDelegationRule(rule));
  AuditEvent e;
  e.component = "idp";
  e.action = "registry.delegation.add";
  e.client_id = rule.to;
  e.actor_chain = {rule.to, rule.from};  // the chain the rule allows, outermost first
  e.resource = rule.resource;
  e.scopes_granted = rule.scopes;
  e.decision = AuditDecision::kAllow;
  e.time_micros = clock_.NowMicros();
  e.attributes["zta.max_depth"] = rule.max_depth;
  (void)audit_.Append(std::move(e));
  return DelegationRulePublicView(rule);
}

Result<Json> IdentityProvider::ListDelegationRules(const std::string& agent) {
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  if (!agent.empty() && !registry->FindAgent(agent)) return NotFound("no agent " + agent);
  Json out = Json::array();
  for (const auto& [key, rule] : registry->delegation_rules) {
    if (agent.empty() || rule.from == agent || rule.to == agent) {
      out.push_back(DelegationRulePublicView(rule));
    }
  }
  return out;
}

Status IdentityProvider::DeleteDelegationRule(const std::string& from, const std::string& to) {
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  if (!registry->FindDelegationRule(from, to)) {
    return NotFound("no delegation rule from " + from + " to " + to);
  }
  ZTA_RETURN_IF_ERROR(store_->DeleteDelegationRule(from, to));
  AuditEvent e;
  e.component = "idp";
  e.action = "registry.delegation.delete";
  e.client_id = to;
  e.actor_chain = {to, from};
  e.decision = AuditDecision::kAllow;
  e.time_micros = clock_.NowMicros();
  (void)audit_.Append(std::move(e));
  return Status::Ok();
}

}  // namespace zta::idp
