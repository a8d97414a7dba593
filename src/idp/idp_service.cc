// Starting and stopping an identity provider: the data folder, then the HTTP server, then the
// authorization server once the bound port (hence the default issuer) is known.
#include "zta/idp/idp_service.h"

#include <atomic>

namespace zta::idp {

Result<std::unique_ptr<IdpService>> IdpService::Start(IdpServiceOptions options, AuditSink& audit,
                                                      const Clock& clock) {
  std::unique_ptr<IdpService> service(new IdpService());
  ZTA_ASSIGN_OR_RETURN(service->idp_,
                       IdentityProvider::Open(IdpLocation{options.data_dir, options.store_url},
                                              options.keys, audit, clock));
  // The issuer defaults to the bound base URL, which exists only once the server listens; a
  // request that arrives before the authorization server is set gets 503 (RFC 6749 §5.2's
  // temporarily_unavailable), never a token from a half-built server.
  auto ready = std::make_shared<std::atomic<AuthorizationServer*>>(nullptr);
  ZTA_ASSIGN_OR_RETURN(
      service->server_,
      http::HttpServer::StartAsync(options.server,
                                   [ready](const http::Request& r, http::Respond respond) {
                                     AuthorizationServer* as = ready->load();
                                     if (as == nullptr) {
                                       return respond(http::Response::Json(
                                           503, {{"error", "temporarily_unavailable"}}));
                                     }
                                     as->HandleAsync(r, std::move(respond));
                                   }));
  AuthorizationServerOptions as_options = std::move(options.authorization);
  if (!options.store_url.empty()) as_options.count_auth_failures_in_store = true;
  if (as_options.issuer.empty()) as_options.issuer = service->server_->BaseUrl();
  service->issuer_ = as_options.issuer;
  service->authorization_ = std::make_unique<AuthorizationServer>(
      std::move(as_options), service->idp_->store(), service->idp_->keys(), audit, clock);
  ready->store(service->authorization_.get());
  if (!options.store_url.empty()) {
    // Another node disabled an agent or rotated a key: re-read now rather than at the next
    // poll. The listener also signals after each reconnect, for what it missed meanwhile.
    AuthorizationServer* as = service->authorization_.get();
    store::PostgresOptions listen;
    listen.url = options.store_url;
    listen.application_name = "zta-idp-listener";
    ZTA_ASSIGN_OR_RETURN(service->listener_,
                         store::PgListener::Start(listen, "zta_changes",
                                                  [as] { as->NoteStoreChanged(); }));
  }
  return service;
}

IdpService::~IdpService() { Stop(); }

void IdpService::Stop() {
  if (server_) server_->Stop();
  listener_.reset();
}

}  // namespace zta::idp
