// The JSON forms the SQLite store keeps of users, apps, resource extras and delegation state
// (one `doc` column per row, like agents), so a new field is one line here and no migration.
// Reading a damaged document is a kDataLoss error, never an exception out of the store.
#pragma once

#include <string_view>

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
                                                secret_digest, require_par, enabled, created_at)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FederatedIssuer, issuer, jwks_uri, audience,
                                                subject_claim, claim_map, allowed_typ,
                                                allow_subject_token, allow_client_assertion,
                                                created_at)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FederatedSubject, issuer, subject)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DelegatedGrant, id, user_id, app_id, agent_id,
                                                resource, scopes, authorization_details,
                                                code_digest, auth_time, created_at, last_used_at,
                                                revoked_at, revoked_reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AuthorizationCode, digest, app_id, redirect_uri,
                                                code_challenge, user_id, agent_id, resource,
                                                scopes, authorization_details, nonce, auth_time,
                                                expires_at, grant_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RememberedConsent, user_id, app_id, agent_id,
                                                resource, scopes, created_at)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoginSession, digest, user_id, auth_time,
                                                last_seen_at, expires_at, csrf_secret)

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
