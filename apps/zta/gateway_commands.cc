// `zta gateway`: protect any HTTP API. Thin: options from a TOML file and/or flags, then
// guard::Gateway behind http::HttpServer.
#include <atomic>
#include <iostream>
#include <memory>

#include "commands.h"
#include "zta/core/clock.h"
#include "zta/core/mutex.h"
#include "zta/guard/gateway.h"
#include "zta/http/server.h"

namespace zta::cli {
namespace {

// One JSON line per decision on stderr, for running without a data folder. Events never hold a
// token (AuditEvent's contract), so this is safe to ship to any log collector.
class StderrAuditSink final : public AuditSink {
 public:
  Status Append(AuditEvent event) override {
    if (event.time_micros == 0) event.time_micros = SystemClock::Instance().NowMicros();
    std::string line = DumpJson(event.ToJson());
    MutexLock lock(mu_);
    std::cerr << line << "\n";
    return Status::Ok();
  }

 private:
  Mutex mu_;  // whole lines on std::cerr
};

struct GatewayFlags {
  std::string config;
  std::vector<std::string> issuers;
  std::vector<std::string> jwks_uris;
  std::string audience;
  std::string upstream;
  std::vector<std::string> routes;
  std::vector<std::string> introspect_routes;
  std::string introspect_client_id;
  std::string introspect_secret_env;
  std::string listen;
  std::string metrics_listen;
  std::string realm;
  std::string public_url;
  std::string alg;
  std::vector<std::string> scope_claims;
  std::string typ = "at+jwt";
  std::string audit_dir;
  int threads = 0;
  bool forward_authorization = false;
};

int Fail(const Status& s) {
  std::cerr << "zta: " << s.ToString() << "\n";
  return ExitCodeFor(s);
}

// --issuer and its companions: one TrustedIssuer per --issuer, each with the same settings.
int AddIssuerFlags(const GatewayFlags& f, guard::GatewayOptions* o) {
  if (!f.jwks_uris.empty() && f.jwks_uris.size() != f.issuers.size()) {
    return UsageError("give one --jwks-uri per --issuer, or none (discovery)");
  }
  for (size_t i = 0; i < f.issuers.size(); ++i) {
    guard::TrustedIssuer t;
    t.issuer = f.issuers[i];
    if (!f.jwks_uris.empty()) t.jwks_uri = f.jwks_uris[i];
    if (!f.alg.empty()) {
      auto set = jose::AlgorithmSet::Parse(f.alg);
      if (!set.ok()) return UsageError("--alg: " + set.status().message());
      t.allowed_algorithms = *set;
    }
    if (!f.scope_claims.empty()) t.scope_claims = f.scope_claims;
    t.required_typ = f.typ;
    if (!f.introspect_client_id.empty()) {
      guard::IntrospectionOptions io;
      io.client_id = f.introspect_client_id;
      const char* secret =
          f.introspect_secret_env.empty() ? nullptr : std::getenv(f.introspect_secret_env.c_str());
      if (secret == nullptr || *secret == '\0') {
        return UsageError("--introspect-secret-env must name a set environment variable");
      }
      io.client_secret = Secret(secret);
      t.introspection = std::move(io);
    }
    o->validator.issuers.push_back(std::move(t));
  }
  return kExitOk;
}

// --route, then --introspect-route, after the config file's routes.
int AddRouteFlags(const GatewayFlags& f, guard::GatewayOptions* o) {
  for (const auto& spec : f.routes) {
    auto route = guard::ParseRoute(spec);
    if (!route.ok()) return UsageError(route.status().message());
    o->routes.push_back(*route);
  }
  for (const auto& spec : f.introspect_routes) {
    auto route = guard::ParseRoute(spec);
    if (!route.ok()) return UsageError(route.status().message());
    route->introspect = true;
    o->routes.push_back(*route);
  }
  return kExitOk;
}

// The config file, if any, with the flags added to it; validated.
int OptionsFromFlags(const GatewayFlags& f, guard::GatewayOptions* o) {
  if (!f.config.empty()) {
    auto loaded = guard::LoadGatewayConfig(f.config);
    if (!loaded.ok()) return UsageError(loaded.status().ToString());
    *o = std::move(loaded).value();
  }
  if (int rc = AddIssuerFlags(f, o); rc != kExitOk) return rc;
  if (!f.audience.empty()) o->validator.audience = f.audience;
  if (!f.realm.empty()) o->validator.realm = f.realm;
  if (!f.public_url.empty()) o->validator.public_base_url = f.public_url;
  if (!f.upstream.empty()) o->upstream = f.upstream;
  if (f.threads > 0) o->threads = f.threads;
  if (f.forward_authorization) o->forward_authorization = true;
  if (!f.listen.empty()) {
    if (Status s = guard::ParseHostPort(f.listen, &o->listen_host, &o->listen_port); !s.ok()) {
      return UsageError(s.message());
    }
  }
  if (!f.metrics_listen.empty()) {
    if (Status s = guard::ParseMetricsListen(f.metrics_listen, &o->metrics_listen_host,
                                             &o->metrics_listen_port);
        !s.ok()) {
      return UsageError(s.message());
    }
  }
  if (int rc = AddRouteFlags(f, o); rc != kExitOk) return rc;
  if (Status s = o->Validate(); !s.ok()) return UsageError(s.message());
  return kExitOk;
}

// Serves until SIGINT or SIGTERM. Without a configured public_url the gateway's own bound URL is
// what DPoP proofs must name (RFC 9449 §4.3 htu), so the server binds first and the gateway is
// made once the port is known; a request in between gets 503.
int Serve(guard::GatewayOptions o, AuditSink& audit) {
  http::ServerOptions server_options;
  server_options.host = o.listen_host;
  server_options.port = o.listen_port;
  server_options.threads = o.threads;
  server_options.max_body_bytes = o.max_body_bytes;
  // Room for a maximum-size token (16 KiB, jose::kMaxTokenBytes) beside the other fields.
  server_options.max_header_bytes = 32 * 1024;
  server_options.server_name = "zta-gateway";
  std::atomic<guard::Gateway*> ready{nullptr};
  auto server = http::HttpServer::StartAsync(
      server_options, [&ready](const http::Request& r, http::Respond respond) {
        guard::Gateway* g = ready.load(std::memory_order_acquire);
        if (g == nullptr) {
          respond(http::Response::Json(503, Json{{"error", "temporarily_unavailable"}}));
          return;
        }
        g->HandleAsync(r, std::move(respond));
      });
  if (!server.ok()) return Fail(server.status());
  if (o.validator.public_base_url.empty()) o.validator.public_base_url = (*server)->BaseUrl();
  auto gateway = guard::Gateway::Create(o, SystemClock::Instance(), audit);
  if (!gateway.ok()) {
    (*server)->Stop();
    return UsageError(gateway.status().message());
  }
  // Off by default; its own port, since the main listener's paths all belong to the upstream.
  std::unique_ptr<http::HttpServer> metrics_server;
  if (!o.metrics_listen_host.empty()) {
    auto started = (*gateway)->StartMetricsListener();
    if (!started.ok()) {
      (*server)->Stop();
      return Fail(started.status());
    }
    metrics_server = std::move(started).value();
    // Before "listening on", which scripts read as the sign that everything is up.
    std::cout << "metrics on " << metrics_server->BaseUrl() << std::endl;
  }
  ready.store(gateway->get(), std::memory_order_release);
  std::cout << "listening on " << (*server)->BaseUrl() << std::endl;
  int sig = http::WaitForTerminationSignal();
  std::cerr << "signal " << sig << ": shutting down" << std::endl;
  (*server)->Stop();
  if (metrics_server) metrics_server->Stop();
  return kExitOk;
}

int RunGateway(const GatewayFlags& f) {
  guard::GatewayOptions o;
  if (int rc = OptionsFromFlags(f, &o); rc != kExitOk) return rc;
  std::unique_ptr<AuditSink> audit;
  if (!f.audit_dir.empty()) {
    Status audit_status;
    audit = OpenDataFolderAuditSink(f.audit_dir, &audit_status);
    if (!audit) return Fail(audit_status);
  } else {
    audit = std::make_unique<StderrAuditSink>();
  }
  return Serve(o, *audit);
}

}  // namespace

void RegisterGatewayCommand(CLI::App& app) {
  auto f = std::make_shared<GatewayFlags>();
  CLI::App* gw = app.add_subcommand(
      "gateway", "protect any HTTP API: validate bearer tokens, enforce scopes, forward");
  gw->add_option("--config", f->config, "TOML file (docs/gateway.md); flags add to it");
  gw->add_option("--issuer", f->issuers, "a trusted issuer URL (repeatable; keys by discovery)");
  gw->add_option("--jwks-uri", f->jwks_uris, "JWKS URL per --issuer, in order (skips discovery)");
  gw->add_option("--audience", f->audience, "this API's resource identifier (token aud)");
  gw->add_option("--upstream", f->upstream,
                 "where allowed requests go, e.g. http://127.0.0.1:9000");
  gw->add_option("--route", f->routes,
                 "\"METHOD PATH [SCOPE...]\", PATH exact or ending in '*', matched normalized and "
                 "case-insensitively (docs/gateway.md; repeatable)");
  gw->add_option("--introspect-route", f->introspect_routes,
                 "a route whose tokens are also introspected (RFC 7662)");
  gw->add_option("--introspect-client-id", f->introspect_client_id,
                 "this resource server's client id at the issuers (introspection)");
  gw->add_option("--introspect-secret-env", f->introspect_secret_env,
                 "environment variable holding the introspection client secret");
  gw->add_option("--listen", f->listen, "HOST:PORT (default 127.0.0.1:8080; port 0 picks one)");
  gw->add_option("--metrics-listen", f->metrics_listen,
                 "HOST:PORT of a separate listener for GET /metrics and /healthz (default: none; "
                 "keep it on loopback or an admin network; port 0 picks one)");
  gw->add_option("--realm", f->realm, "WWW-Authenticate realm (default: the audience)");
  gw->add_option("--public-url", f->public_url,
                 "the URL clients address the gateway by, for DPoP proofs (RFC 9449 htu; "
                 "default: the bound http://HOST:PORT)");
  gw->add_option("--alg", f->alg, "accepted algorithms, e.g. ES256,RS256 (default: asymmetric)");
  gw->add_option("--scope-claim", f->scope_claims,
                 "claim carrying scopes: scope, scp, roles (repeatable; default scope and scp)");
  gw->add_option("--typ", f->typ, "required typ header (default at+jwt; \"\" to skip)");
  gw->add_option("--audit-dir", f->audit_dir,
                 "data folder for the durable audit log (default: JSON lines on stderr)");
  gw->add_option("--threads", f->threads, "server I/O threads (default: one per CPU, at most 8)");
  gw->add_flag("--forward-authorization", f->forward_authorization,
               "also forward the client's Authorization header upstream");
  SetAction(gw, [f]() { return RunGateway(*f); });
}

}  // namespace zta::cli
