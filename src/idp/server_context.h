// What every endpoint of the authorization server shares: its options, its collaborators, the
// registry cache, client authentication and the grant table. One per AuthorizationServer.
#pragma once

#include "client_auth.h"
#include "federation.h"
#include "grants/grant.h"
#include "registry_cache.h"
#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/metrics.h"
#include "zta/idp/authorization_server.h"
#include "zta/idp/key_manager.h"
#include "zta/idp/stores.h"
#include "zta/jose/dpop.h"

namespace zta::idp {

// The nonce source for `options` (src/idp/dpop_proof.cc).
std::optional<jose::DpopNonces> MakeDpopNonces(const AuthorizationServerOptions& options);

// Thread-safe: each member is, and the options and the grant table never change.
struct ServerContext {
  ServerContext(AuthorizationServerOptions server_options, IdpStore& idp_store,
                KeyManager& key_manager, AuditSink& audit_sink, const Clock& server_clock)
      : options(std::move(server_options)),
        registry_store(idp_store),
        token_state(idp_store),
        keys(key_manager),
        audit(audit_sink),
        clock(server_clock),
        registry(registry_store, keys, clock, options.registry_refresh_millis),
        federation(clock, options.federation_transport),
        client_auth(options, token_state, federation, clock),
        grants(GrantTypes::Default()),
        dpop_nonces(MakeDpopNonces(options)) {}
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  // Marks `event` as the idp's, stamps its time when unset, and gives it the trace id of the
  // request this thread is handling (RequestTrace) when it has none.
  void Stamp(AuditEvent& event) const {
    event.component = "idp";
    if (event.time_micros == 0) event.time_micros = clock.NowMicros();
    if (event.trace_id.empty()) event.trace_id = RequestTrace::current;
  }

  // While one lives, events stamped on this thread carry `trace_id`: the W3C trace id of the
  // request's traceparent (W3C Trace Context §3.2), "" when it has none or an invalid one.
  // AuthorizationServer::Handle and HandleAsync hold one around each request, so every
  // endpoint, grant and side event is traced without threading the request through each
  // event it builds. Requests are handled start to finish on one thread up to the point their
  // events are stamped, so a thread-local is exact here.
  class RequestTrace {
   public:
    explicit RequestTrace(std::string trace_id) : saved_(std::move(current)) {
      current = std::move(trace_id);
    }
    ~RequestTrace() { current = std::move(saved_); }
    RequestTrace(const RequestTrace&) = delete;
    RequestTrace& operator=(const RequestTrace&) = delete;

    static inline thread_local std::string current;

   private:
    std::string saved_;
  };
  // Records `event`. Durable sinks return only once it is on disk. Callers that grant something
  // check the result and fail closed; refusals are refused whether or not the record landed.
  Status Audit(AuditEvent event) {
    Stamp(event);
    return audit.Append(std::move(event));
  }

  const AuthorizationServerOptions options;
  RegistryStore& registry_store;  // who exists (read through `registry`)
  TokenStateStore& token_state;   // what was issued, consumed or revoked
  KeyManager& keys;
  AuditSink& audit;
  const Clock& clock;
  RegistryCache registry;
  Metrics metrics;  // /metrics: requests, latency, tokens, audit commits, store health
  // External issuers' tokens (subject tokens of an exchange, federated client assertions).
  FederationVerifier federation;
  ClientAuthenticator client_auth;  // references options and federation: declared after them
  const GrantTypes grants;
  // RFC 9449 §8 server nonces when options.dpop_require_nonce; nullopt otherwise, or when no
  // key could be made (then every proof is refused for want of a nonce: fail closed).
  const std::optional<jose::DpopNonces> dpop_nonces;
};

}  // namespace zta::idp
