// The backchannel authentication endpoint (OpenID CIBA Core 1.0 §7, poll mode only): an agent,
// authenticated as at /token, asks the user `login_hint` names to approve scopes and
// authorization_details at a resource. The user decides on /account; the agent polls /token
// with grant_type urn:openid:params:grant-type:ciba (grants/ciba.cc).
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string_view>

#include "../browser/authorization_request.h"
#include "../form_fields.h"
#include "../grants/delegated_token.h"
#include "endpoint.h"
#include "token_call.h"
#include "zta/core/random.h"
#include "zta/core/scopes.h"
#include "zta/idp/reasons.h"

namespace zta::idp {
namespace {

// CIBA §7.3 interval: the seconds a client waits between polls, at first.
constexpr int64_t kPollIntervalSeconds = 5;
// CIBA §7.1 requested_expiry: absent → 300 s; larger asks are cut to 600 s, smaller ones raised
// to 60 s: the per-agent cap counts pending requests, so a floor on their life bounds how many
// one agent can create (20 per minute) and how fast it fills the store and the audit log.
constexpr int64_t kDefaultExpirySeconds = 300;
constexpr int64_t kMaxExpirySeconds = 600;
constexpr int64_t kMinExpirySeconds = 60;
// Pending, unexpired requests one agent, or one user, may have at a time: a caller that asks
// without end fills neither the store nor the user's page (invalid_request, too_many_pending).
constexpr int kMaxPendingPerAgent = 20;
constexpr int kMaxPendingPerUser = 50;
// CIBA §7.1 leaves the binding message's length to the server; this one shows 64 characters.
constexpr size_t kMaxBindingMessageCodePoints = 64;

// The next code point of `s` at `*at` (strict UTF-8: no overlong forms, surrogates or values past
// U+10FFFF); -1 when the bytes there are not one.
int32_t NextCodePoint(std::string_view s, size_t* at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(*at);
  size_t n = 0;  // continuation bytes
  int32_t cp = lead;
  if ((lead & 0xE0) == 0xC0) {
    n = 1, cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    n = 2, cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    n = 3, cp = lead & 0x07;
  } else if (lead >= 0x80) {
    return -1;
  }
  if (s.size() - *at - 1 < n) return -1;
  for (size_t i = 1; i <= n; ++i) {
    if ((byte(*at + i) & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (byte(*at + i) & 0x3F);
  }
  static constexpr int32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  *at += n + 1;
  return cp;
}

// What the user's page could be misled by: C0 and C1 controls and DEL, the line and paragraph
// separators, and every bidi mark, embedding, override and isolate (Unicode UAX #9), which could
// reorder the text around the message ("Pay 10 USD" shown for "Pay 1000 USD").
bool IsForbiddenInMessage(int32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || cp == 0x200E ||
         cp == 0x200F || cp == 0x061C || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

// CIBA §7.1 binding_message (required here): 1 to 64 code points of UTF-8, none forbidden.
std::optional<OAuthError> CheckBindingMessage(std::string_view message) {
  auto refuse = [](std::string why) {
    return OAuthError::InvalidBindingMessage(std::move(why))
        .WithReason(kReasonInvalidBindingMessage);
  };
  if (message.empty()) return refuse("binding_message is required");
  size_t count = 0;
  for (size_t at = 0; at < message.size();) {
    int32_t cp = NextCodePoint(message, &at);
    if (cp < 0) return refuse("binding_message is not UTF-8");
    if (IsForbiddenInMessage(cp)) {
      return refuse("binding_message holds a control or bidi character");
    }
    if (++count > kMaxBindingMessageCodePoints) {
      return refuse("binding_message is longer than 64 characters");
    }
  }
  return std::nullopt;
}

// CIBA §7.1 requested_expiry: a positive integer of seconds; the default when absent, capped.
OAuthResult<int64_t> ReadExpiry(const std::string& text) {
  if (text.empty()) return kDefaultExpirySeconds;
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || text.size() > 9 || seconds <= 0 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return OAuthError::InvalidRequest("requested_expiry must be a positive number of seconds");
  }
  return std::clamp(seconds, kMinExpirySeconds, kMaxExpirySeconds);
}

// The user login_hint names, enabled. CIBA §7.1: exactly one hint; zta takes only login_hint.
OAuthResult<const User*> ReadUser(const FormFields& fields, const RegistrySnapshot& registry) {
  if (!Field(fields, "login_hint_token").empty() || !Field(fields, "id_token_hint").empty()) {
    return OAuthError::InvalidRequest("only login_hint is supported");
  }
  if (!Field(fields, "user_code").empty()) {
    return OAuthError::InvalidRequest("user_code is not supported");  // CIBA §7.1, §4
  }
  const std::string& hint = Field(fields, "login_hint");
  if (hint.empty()) return OAuthError::InvalidRequest("login_hint is required");
  const User* user = hint.size() <= 256 ? registry.FindUserByName(hint) : nullptr;
  // CIBA §13: unknown_user_id, also for a disabled user (who could not approve anyway).
  if (user == nullptr || !user->enabled) {
    return OAuthError::UnknownUserId("login_hint names no user here")
        .WithReason(kReasonUnknownUserId);
  }
  return user;
}

// Everything the request asks for, checked, into `out` (digest and times aside); the event
// learns the user, resource and scopes as they are read.
std::optional<OAuthError> ReadRequest(const FormFields& fields, const RegistrySnapshot& registry,
                                      const Agent& agent, BackchannelRequest& out,
                                      AuditEvent& event) {
  if (!Field(fields, "client_notification_token").empty()) {
    return OAuthError::InvalidRequest("only the poll delivery mode is supported");
  }
  auto user = ReadUser(fields, registry);
  if (!user.ok()) return std::move(user).error();
  out.user_id = (*user)->id;
  event.subject = out.user_id;
  out.resource = Field(fields, "resource");  // RFC 8707 §2: one resource, registered here
  if (out.resource.empty()) return OAuthError::InvalidTarget("resource is required");
  const Resource* resource = registry.FindResource(out.resource);
  if (resource == nullptr) return OAuthError::InvalidTarget("the resource is not registered");
  event.resource = out.resource;
  std::vector<std::string> requested = SplitSpaceDelimited(Field(fields, "scope"));
  event.scopes_requested = requested;
  if (requested.empty()) return OAuthError::InvalidRequest("scope is required");  // CIBA §7.1
  out.scopes = DelegatedScopes(requested, &agent, *resource);
  if (std::none_of(out.scopes.begin(), out.scopes.end(),
                   [](const std::string& s) { return !IsOpenIdScope(s); })) {
    return OAuthError::InvalidScope("no requested scope is within the agent's allowance");
  }
  if (auto why = browser::ParseAuthorizationDetails(Field(fields, "authorization_details"),
                                                    *resource, &out.authorization_details)) {
    return OAuthError::InvalidAuthorizationDetails(*std::move(why));
  }
  out.binding_message = Field(fields, "binding_message");
  return CheckBindingMessage(out.binding_message);
}

// Stores the request under a fresh auth_req_id and answers it (CIBA §7.3).
Decision Accept(ServerContext& context, BackchannelRequest record, int64_t expiry,
                AuditEvent event) {
  auto id = RandomToken(32);  // 256 bits; CIBA §7.3 asks for at least 128
  if (!id.ok()) return Decision::Unrecorded(OAuthError::ServerError("no randomness").ToResponse());
  const int64_t now = context.clock.NowSeconds();
  record.digest = DigestSecret(*id);
  record.created_at = now;
  record.expires_at = now + expiry;
  record.interval = kPollIntervalSeconds;
  Status put = context.token_state.PutBackchannel(record, kMaxPendingPerAgent, kMaxPendingPerUser);
  if (put.code() == StatusCode::kResourceExhausted) {
    return RefuseRequest(
        OAuthError::InvalidRequest("too many pending requests").WithReason(kReasonTooManyPending),
        std::move(event));
  }
  if (!put.ok()) {
    return RefuseRequest(OAuthError::TemporarilyUnavailable("the request could not be stored")
                             .WithReason(kReasonStoreError),
                         std::move(event));
  }
  event.decision = AuditDecision::kAllow;
  event.scopes_granted = record.scopes;
  // The digest names the request in the log and on /account; the id is the agent's alone.
  event.attributes["zta.backchannel"] = record.digest;
  event.attributes["zta.expires_at"] = record.expires_at;
  std::string details = DetailsDigest(record.authorization_details);
  if (!details.empty()) event.attributes["zta.details_digest"] = details;
  http::Response r = http::Response::Json(
      200, {{"auth_req_id", *id}, {"expires_in", expiry}, {"interval", record.interval}});
  r.headers.Set("Cache-Control", "no-store");  // CIBA §7.3
  r.headers.Set("Pragma", "no-cache");
  return Decision::Recorded(std::move(r), std::move(event), /*grants=*/true);
}

}  // namespace

Decision BackchannelAuthorizeEndpoint(ServerContext& context, const http::Request& request) {
  AuditEvent event;
  event.action = "backchannel.request";
  auto form = http::ParseForm(request.body);
  if (!form.ok()) {
    return Decision::Unrecorded(OAuthError::InvalidRequest("malformed form body").ToResponse());
  }
  // A fresh registry check: a just-disabled agent or user is refused at once.
  auto registry = context.registry.Get(true);
  auto fields = UniqueFields(*form);
  if (!fields.ok()) return RefuseClient(request, fields.error(), std::move(event));
  auto caller = context.client_auth.Authenticate(request, *fields, *registry, false);
  if (!caller.ok()) return RefuseClient(request, caller.error(), std::move(event));
  event.client_id = caller->client_id;
  event.actor_chain = {caller->client_id};
  event.attributes["zta.client_auth_method"] = caller->auth_method;
  // Only an agent asks a user for approval; apps have the browser (/authorize).
  if (caller->agent == nullptr) {
    return RefuseRequest(OAuthError::UnauthorizedClient("backchannel authentication is for agents"),
                         std::move(event));
  }
  BackchannelRequest record;
  record.agent_id = caller->client_id;
  if (auto refused = ReadRequest(*fields, *registry, *caller->agent, record, event)) {
    return RefuseRequest(*refused, std::move(event));
  }
  auto expiry = ReadExpiry(Field(*fields, "requested_expiry"));
  if (!expiry.ok()) return RefuseRequest(expiry.error(), std::move(event));
  return Accept(context, std::move(record), *expiry, std::move(event));
}

}  // namespace zta::idp
