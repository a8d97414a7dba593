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

}  // namespace zta::guard
