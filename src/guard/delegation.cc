// Delegated-token helpers for resource servers (see zta/guard/delegation.h).
#include "zta/guard/delegation.h"

#include <algorithm>

namespace zta::guard {
namespace {

Status Mismatch(std::string message) {
  return Status(StatusCode::kPermissionDenied, std::move(message), kReasonDetailsMismatch);
}

bool IsScalar(const Json& v) { return v.is_string() || v.is_number() || v.is_boolean(); }

// Numbers compare by value (1 equals 1.0), strings and booleans exactly; nothing else is equal.
bool ScalarEquals(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  if (a.is_string() && b.is_string())
    return a.get_ref<const std::string&>() == b.get_ref<const std::string&>();
  if (a.is_boolean() && b.is_boolean()) return a.get<bool>() == b.get<bool>();
  return false;
}

Status CheckOne(const Json& detail, const Json& request, const DetailConstraint& c) {
  const bool at_most = c.kind == DetailConstraint::Kind::kAtMost;
  const std::string detail_field =
      !c.detail_field.empty() ? c.detail_field : (at_most ? "max_" + c.field : c.field);
  auto r = request.find(c.field);
  if (r == request.end() || !IsScalar(*r)) {
    return Mismatch("request field '" + c.field + "' is missing or not a value");
  }
  auto d = detail.find(detail_field);
  if (d == detail.end()) return Mismatch("the authorization detail has no '" + detail_field + "'");
  if (at_most) {
    if (!r->is_number() || !d->is_number()) {
      return Mismatch("'" + c.field + "' and '" + detail_field + "' must be numbers");
    }
    if (r->get<double>() > d->get<double>()) {
      return Mismatch("'" + c.field + "' exceeds the approved '" + detail_field + "'");
    }
    return Status::Ok();
  }
  if (d->is_array()) {
    if (std::any_of(d->begin(), d->end(), [&](const Json& m) { return ScalarEquals(m, *r); })) {
      return Status::Ok();
    }
    return Mismatch("'" + c.field + "' is not among the approved '" + detail_field + "'");
  }
  if (!ScalarEquals(*d, *r)) {
    return Mismatch("'" + c.field + "' differs from the approved '" + detail_field + "'");
  }
  return Status::Ok();
}

}  // namespace

bool ActsForUser(const Principal& principal) {
  // RFC 8693 §4.1: the outermost act (front of the chain) is the current actor.
  return !principal.actor_chain.empty() && !principal.subject.empty() &&
         principal.subject != principal.actor_chain.front();
}

const Json* FindAuthorizationDetails(const Principal& principal, std::string_view type) {
  const Json& details = principal.authorization_details;
  if (!details.is_array()) return nullptr;
  for (const Json& entry : details) {
    if (!entry.is_object()) continue;
    auto t = entry.find("type");
    if (t != entry.end() && t->is_string() && t->get_ref<const std::string&>() == type) {
      return &entry;
    }
  }
  return nullptr;
}

Status CheckWithinDetail(const Json& detail, const Json& request,
                         std::span<const DetailConstraint> constraints) {
  if (!detail.is_object()) return Mismatch("the authorization detail is not an object");
  if (!request.is_object()) return Mismatch("the request fields are not an object");
  for (const auto& c : constraints) ZTA_RETURN_IF_ERROR(CheckOne(detail, request, c));
  return Status::Ok();
}

Status CheckWithinDetail(const Json& detail, const Json& request) {
  if (!detail.is_object()) return Mismatch("the authorization detail is not an object");
  if (!request.is_object()) return Mismatch("the request fields are not an object");
  std::vector<DetailConstraint> constraints;
  for (auto it = request.begin(); it != request.end(); ++it) {
    DetailConstraint c;
    c.field = it.key();
    const bool exact = detail.contains(c.field);
    const bool bounded = detail.contains("max_" + c.field);
    if (!exact && !bounded) {
      return Mismatch("the authorization detail does not bound '" + c.field + "'");
    }
    // Both bind when both are there: an entry with "total": 5000 beside the "max_total": 240 the
    // consent page showed must not let 5000 through.
    if (exact) {
      c.kind = DetailConstraint::Kind::kEqual;
      constraints.push_back(c);
    }
    if (bounded) {
      c.kind = DetailConstraint::Kind::kAtMost;
      constraints.push_back(std::move(c));
    }
  }
  return CheckWithinDetail(detail, request, constraints);
}

Status CheckRequestWithinDetails(const Principal& principal, std::string_view type,
                                 const Json& request) {
  const Json& details = principal.authorization_details;
  Status last = Status(StatusCode::kPermissionDenied,
                       "the token has no authorization_details of type " + std::string(type),
                       kReasonDetailsMissing);
  if (!details.is_array()) return last;
  for (const Json& entry : details) {
    if (!entry.is_object()) continue;
    auto t = entry.find("type");
    if (t == entry.end() || !t->is_string() || t->get_ref<const std::string&>() != type) continue;
    last = CheckWithinDetail(entry, request);
    if (last.ok()) return last;
  }
  return last;
}

namespace {

Status BadPolicy(std::string message) { return InvalidArgument("actors: " + std::move(message)); }

// A chain as JSON text: ids are client ids, not secrets, but they come from a token and may hold
// any character; dump() escapes control characters so the message cannot forge a log line.
std::string ChainText(const std::vector<std::string>& chain) { return Json(chain).dump(); }

}  // namespace

Status ActorPolicy::Validate() const {
  if (kind != Kind::kChains) {
    return chains.empty() ? Status::Ok() : BadPolicy("chains are only for a list policy");
  }
  // An empty list would refuse every token: a typo for "none" or a forgotten entry, not a policy.
  if (chains.empty()) return BadPolicy("the list of allowed chains is empty");
  for (const auto& chain : chains) {
    if (chain.size() > kMaxActorChainDepth) {
      return BadPolicy("chain " + ChainText(chain) + " is longer than the " +
                       std::to_string(kMaxActorChainDepth) + " actors a token may carry");
    }
    for (const auto& id : chain) {
      if (id.empty()) return BadPolicy("chain " + ChainText(chain) + " has an empty actor id");
    }
  }
  return Status::Ok();
}

std::string ActorPolicy::ToString() const {
  switch (kind) {
    case Kind::kAny:
      return "any";
    case Kind::kNone:
      return "none";
    case Kind::kChains:
      return Json(chains).dump();
  }
  return "any";
}

Status CheckActorPolicy(const Principal& principal, const ActorPolicy& policy) {
  const auto& chain = principal.actor_chain;
  // The chain is empty exactly when the token has no act (the validator refuses a malformed
  // one); the claim is looked at too, for a Principal built some other way.
  const bool has_act = !chain.empty() || principal.claims().contains("act");
  switch (policy.kind) {
    case ActorPolicy::Kind::kAny:
      return Status::Ok();
    case ActorPolicy::Kind::kNone:
      if (!has_act) return Status::Ok();
      break;
    case ActorPolicy::Kind::kChains:
      // RFC 8693 §4.1: actor_chain[0] is the current actor; policies are written the same way.
      for (const auto& allowed : policy.chains) {
        if (allowed.empty() ? !has_act : allowed == chain) return Status::Ok();
      }
      break;
  }
  std::string seen = has_act ? "actor chain " + ChainText(chain) + " (current actor first)"
                             : "a token without act";
  return Status(StatusCode::kPermissionDenied,
                seen + " is not allowed here (actors = " + policy.ToString() + ")",
                kReasonActorChainNotAllowed);
}

Result<ActorPolicy> ActorPolicyFromJson(const Json& value) {
  if (value.is_string()) {
    const auto& word = value.get_ref<const std::string&>();
    if (word == "any") return ActorPolicy::Any();
    if (word == "none") return ActorPolicy::None();
    return BadPolicy("expected \"any\", \"none\" or a list of chains, got \"" + word + "\"");
  }
  if (!value.is_array()) return BadPolicy("expected \"any\", \"none\" or a list of chains");
  ActorPolicy policy = ActorPolicy::Chains({});
  for (const Json& chain : value) {
    if (!chain.is_array()) {
      return BadPolicy("each allowed chain is an array of actor ids, outermost first");
    }
    std::vector<std::string> ids;
    for (const Json& id : chain) {
      if (!id.is_string()) return BadPolicy("actor ids are strings");
      ids.push_back(id.get<std::string>());
    }
    policy.chains.push_back(std::move(ids));
  }
  ZTA_RETURN_IF_ERROR(policy.Validate());
  return policy;
}

Result<ActorPolicy> ParseActorPolicy(std::string_view text) {
  if (text == "any") return ActorPolicy::Any();
  if (text == "none") return ActorPolicy::None();
  auto json = ParseJsonStrict(text);
  if (!json.ok()) return BadPolicy("not \"any\", \"none\" or a JSON list of chains");
  return ActorPolicyFromJson(*json);
}

}  // namespace zta::guard
