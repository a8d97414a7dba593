// The JSON forms the SQLite store keeps of users, apps, resource extras, delegation rules and
// delegation state
// (one `doc` column per row, like agents), so a new field is one line here and no migration.
// Reading a damaged document is a kDataLoss error, never an exception out of the store.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "zta/core/json.h"
#include "zta/core/status.h"
#include "zta/idp/registry.h"
#include "zta/idp/stores.h"

namespace zta::idp {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Resource::DetailsType, schema, text)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(User, id, username, email, display_name,
                                                password_hash, enabled, created_at)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(App, client_id, name, redirect_uris,
                                                post_logout_redirect_uris, is_public,
                                                secret_digest, require_par, enabled, created_at,
                                                require_dpop)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DelegationRule, from, to, resource, scopes,
                                                max_depth, created_at)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FederatedIssuer, issuer, jwks_uri, audience,
                                                subject_claim, claim_map, allowed_typ,
                                                allow_subject_token, allow_client_assertion,
                                                created_at)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FederatedSubject, issuer, subject)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DelegatedGrant, id, user_id, app_id, agent_id,
                                                resource, scopes, authorization_details,
                                                code_digest, auth_time, created_at, last_used_at,
                                                revoked_at, revoked_reason, dpop_jkt)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AuthorizationCode, digest, app_id, redirect_uri,
                                                code_challenge, user_id, agent_id, resource,
                                                scopes, authorization_details, nonce, auth_time,
                                                expires_at, grant_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RememberedConsent, user_id, app_id, agent_id,
                                                resource, scopes, created_at)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoginSession, digest, user_id, auth_time,
                                                last_seen_at, expires_at, csrf_secret)

// A status by name. An unknown name throws (→ kDataLoss): a damaged row must not read as pending.
inline constexpr std::pair<BackchannelStatus, const char*> kBackchannelStatusNames[] = {
    {BackchannelStatus::kPending, "pending"},   {BackchannelStatus::kApproved, "approved"},
    {BackchannelStatus::kDenied, "denied"},     {BackchannelStatus::kRedeemed, "redeemed"},
    {BackchannelStatus::kExpired, "expired"}};
inline const char* BackchannelStatusName(BackchannelStatus status) {
  for (const auto& [value, name] : kBackchannelStatusNames) {
    if (value == status) return name;
  }
  return "unknown";
}
inline void to_json(Json& j, const BackchannelStatus& status) { j = BackchannelStatusName(status); }
inline void from_json(const Json& j, BackchannelStatus& status) {
  const std::string& name = j.get_ref<const std::string&>();
  for (const auto& [value, known] : kBackchannelStatusNames) {
    if (name == known) {
      status = value;
      return;
    }
  }
  throw std::invalid_argument("unknown backchannel status " + name);
}
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BackchannelRequest, digest, agent_id, user_id,
                                                resource, scopes, authorization_details,
                                                binding_message, created_at, expires_at, interval,
                                                last_poll_at, status, shown, auth_time,
                                                decided_at, grant_id)

// `text` parsed strictly into T; kDataLoss naming `what` when it is not one.
template <typename T>
Result<T> RecordFromJson(std::string_view text, std::string_view what) {
  auto doc = ParseJsonStrict(text);
  if (!doc.ok() || !doc->is_object()) {
    return Status(StatusCode::kDataLoss, std::string(what) + " record is not valid JSON");
  }
  try {
    return doc->get<T>();
  } catch (const std::exception& e) {
    return Status(StatusCode::kDataLoss, std::string(what) + " record damaged: " + e.what());
  }
}

}  // namespace zta::idp
