// A running identity provider: the data folder opened, the authorization server on an HTTP
// server, stopped gracefully. `zta idp serve`, `zta demo`, benchmarks and tests all start an idp
// through IdpService::Start, so they run the same code; the CLI only turns flags into options.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/status.h"
#include "zta/http/server.h"
#include "zta/store/postgres.h"
#include "zta/idp/authorization_server.h"
#include "zta/idp/identity_provider.h"
#include "zta/idp/key_manager.h"

namespace zta::idp {

struct IdpServiceOptions {
  std::string data_dir;                       // created (mode 0700) when missing
  // A PostgreSQL store shared with other nodes ([store] url, --store); "" = the data folder.
  // Changes other nodes make arrive through LISTEN/NOTIFY (and the registry poll as fallback).
  std::string store_url;
  // This node's name in the shared store ([store] node_id, --node-id): its audit chain there.
  // "" = the host name (nodes sharing a host should set one each).
  std::string node_id;
  KeyManagerOptions keys;                     // alg and rotation overlap of new keys
  http::ServerOptions server;                 // host, port (0 = a free one), threads, TLS
  AuthorizationServerOptions authorization;   // issuer "" = the bound base URL
};

// Whether `id` may name a node (1-64 of [A-Za-z0-9._:-]); "" (the default) is valid too.
bool IsValidNodeId(std::string_view id);
// The node id when none is set: the host name, cut to a valid id ("node" if it has none).
std::string DefaultNodeId();

// Reads the TOML settings of `zta idp serve --config FILE` (docs/idp.md, "Configuration") into
// `options`; keys absent from the file keep their values. Unknown keys, wrong types, bad values
// and unreadable files are InvalidArgument naming the key or the file.
Status LoadIdpServiceConfig(const std::string& path, IdpServiceOptions* options);

// Thread-safe: its parts are. Destroying it stops it.
class IdpService {
 public:
  // Opens the data folder (audit records its registry and key changes into `audit`), binds the
  // server and starts answering. `audit` and `clock` must outlive the service.
  static Result<std::unique_ptr<IdpService>> Start(IdpServiceOptions options, AuditSink& audit,
                                                   const Clock& clock);
  ~IdpService();
  IdpService(const IdpService&) = delete;
  IdpService& operator=(const IdpService&) = delete;

  // The bound address, e.g. "http://127.0.0.1:40123".
  std::string BaseUrl() const { return server_->BaseUrl(); }
  const std::string& issuer() const { return issuer_; }
  IdentityProvider& idp() { return *idp_; }
  AuthorizationServer& authorization_server() { return *authorization_; }

  // Stops accepting, finishes the answers in flight, joins the threads. Idempotent.
  void Stop();

 private:
  IdpService() = default;

  std::string issuer_;
  std::unique_ptr<IdentityProvider> idp_;
  std::unique_ptr<AuthorizationServer> authorization_;
  std::unique_ptr<store::PgListener> listener_;  // PostgreSQL: other nodes' changes
  std::unique_ptr<http::HttpServer> server_;  // last: stopped before what it calls into
};

}  // namespace zta::idp
