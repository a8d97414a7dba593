// RFC 9449 §5 at the token endpoint. The proof is checked after the client authenticated, so
// the jti of a proof sent with a wrong credential is not spent, and before the grant runs, so a
// refused proof leaves a code or refresh token usable.
#include "dpop_proof.h"

#include "zta/core/random.h"
#include "zta/idp/reasons.h"

namespace zta::idp {
namespace {

bool RequiresDpop(const Caller& caller) {
  return (caller.agent != nullptr && caller.agent->require_dpop) ||
         (caller.app != nullptr && caller.app->require_dpop);
}

OAuthError Refuse(const Status& why) {
  return OAuthError::InvalidDpopProof(why.message()).WithReason(why.reason());
}

}  // namespace

std::optional<jose::DpopNonces> MakeDpopNonces(const AuthorizationServerOptions& options) {
  if (!options.dpop_require_nonce) return std::nullopt;
  Secret key = options.dpop_nonce_key;
  if (key.empty()) {
    auto random = RandomBytes(32);
    if (!random.ok()) return std::nullopt;
    key = Secret(std::move(*random));
  }
  auto nonces = jose::DpopNonces::Create(key, options.dpop_nonce_lifetime_seconds);
  if (!nonces.ok()) return std::nullopt;
  return std::move(*nonces);
}

std::string CurrentDpopNonce(const ServerContext& context) {
  if (!context.dpop_nonces) return "";
  return context.dpop_nonces->Current(context.clock.NowSeconds());
}

OAuthResult<std::string> TokenRequestDpopKey(ServerContext& context, const http::Request& request,
                                             const Caller& caller) {
  auto proofs = request.headers.GetAll(jose::kDpopHeader);
  if (proofs.empty()) {
    if (!RequiresDpop(caller)) return std::string();
    return OAuthError::InvalidDpopProof("this client must send a DPoP proof (RFC 9449 §5.2)")
        .WithReason(jose::kReasonDpopMissing);
  }
  // §4.3 item 1: exactly one DPoP header.
  if (proofs.size() > 1) {
    return OAuthError::InvalidDpopProof("more than one DPoP header")
        .WithReason(jose::kReasonDpopMalformed);
  }
  const int64_t now = context.clock.NowSeconds();
  jose::DpopProofCheck check;
  check.method = request.method;
  check.url = context.options.issuer + "/token";  // what metadata announces as token_endpoint
  check.now = now;
  check.max_age_seconds = context.options.dpop_max_age_seconds;
  check.allowed_algorithms = context.options.dpop_algorithms;
  if (context.options.dpop_require_nonce) {
    const std::optional<jose::DpopNonces>& nonces = context.dpop_nonces;
    check.accept_nonce = [&nonces, now](std::string_view nonce) {
      return nonces && nonces->Accepts(nonce, now);
    };
  }
  auto proof = jose::VerifyDpopProof(proofs[0], check);
  if (!proof.ok()) {
    if (proof.status().reason() == jose::kReasonUseDpopNonce) {
      return OAuthError::UseDpopNonce(CurrentDpopNonce(context))
          .WithReason(jose::kReasonUseDpopNonce);
    }
    return Refuse(proof.status());
  }
  auto fresh = context.token_state.RecordDpopProofJti(proof->jkt, proof->jti,
                                                      proof->RecordedUntil(check));
  if (!fresh.ok()) {
    return OAuthError::TemporarilyUnavailable("the token state could not be stored")
        .WithReason(kReasonStoreError);
  }
  if (!*fresh) {
    return OAuthError::InvalidDpopProof("the DPoP proof was already used")
        .WithReason(jose::kReasonDpopReplay);
  }
  return proof->jkt;
}

}  // namespace zta::idp
