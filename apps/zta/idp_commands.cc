// `zta idp serve|resource|agent|keys`: run the embedded identity provider and administer its
// registry in a data folder. Registry changes take effect in a running server within a second.
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "zta/http/protocol.h"
#include "idp_config.h"
#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/http/message.h"
#include "zta/http/server.h"
#include "zta/idp/authorization_server.h"
#include "zta/idp/identity_provider.h"

namespace zta::cli {
namespace {

std::vector<std::string> SplitWords(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find_first_of(" ,", i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string DefaultDataDir() {
  const char* env = std::getenv("ZTA_DATA_DIR");
  return env && *env ? env : "zta-data";
}

struct IdpFlags {
  std::string data_dir = DefaultDataDir();
  std::string alg = "ES256";
  int64_t overlap_seconds = 60;
};

// Opens the data folder with the audit sink every command shares.
Result<std::unique_ptr<idp::IdentityProvider>> OpenIdp(const IdpFlags& flags, AuditSink& audit) {
  auto alg = jose::AlgorithmFromName(flags.alg);
  if (!alg || jose::Spec(*alg).key_type == jose::KeyType::kOct) {
    return InvalidArgument("--alg must be ES256, ES384, RS256, PS256 or EdDSA");
  }
  idp::KeyManagerOptions keys;
  keys.alg = *alg;
  keys.rotation_overlap_seconds = flags.overlap_seconds;
  return idp::IdentityProvider::Open(flags.data_dir, keys, audit, SystemClock::Instance());
}

int PrintJson(const Json& j) {
  std::cout << DumpJson(j, 2) << "\n";
  return kExitOk;
}

int Fail(const Status& s) {
  std::cerr << "zta: " << s.message() << "\n";
  return s.code() == StatusCode::kNotFound ? kExitCheckFailed : kExitUsage;
}

Status ParseListen(const std::string& listen, http::ServerOptions& options) {
  auto parsed = http::ParseHostPort(listen);
  if (!parsed.ok()) return InvalidArgument("--listen: " + parsed.status().message());
  options.host = parsed->host;
  options.port = parsed->port;
  return Status::Ok();
}

}  // namespace

void RegisterIdpCommands(CLI::App& app) {
  auto flags = std::make_shared<IdpFlags>();
  CLI::App* idp = app.add_subcommand("idp", "the embedded identity provider (OAuth 2.0 AS)");
  idp->require_subcommand(1);
  idp->add_option("--data", flags->data_dir,
                  "data folder (default: $ZTA_DATA_DIR or ./zta-data)");

  // --- serve -------------------------------------------------------------------------------
  struct ServeFlags {
    std::string config;
    std::string listen;
    std::string issuer;
    int64_t token_ttl = 0;
    int threads = 0;
    std::string tls_cert, tls_key;
  };
  auto serve_flags = std::make_shared<ServeFlags>();
  CLI::App* serve = idp->add_subcommand("serve", "run the authorization server");
  serve->add_option("--config", serve_flags->config,
                    "TOML settings (docs/idp.md); the flags below override it");
  serve->add_option("--listen", serve_flags->listen,
                    "HOST:PORT (default 127.0.0.1:8080; port 0 picks a free port)");
  serve->add_option("--issuer", serve_flags->issuer,
                    "issuer URL (default: http(s)://HOST:PORT as bound)");
  CLI::Option* alg_option =
      serve->add_option("--alg", flags->alg, "algorithm of new signing keys (default ES256)");
  serve->add_option("--token-ttl", serve_flags->token_ttl, "access token lifetime (default 300 s)");
  serve->add_option("--threads", serve_flags->threads,
                    "I/O threads (default: one per CPU it may run on, at most 8)");
  serve->add_option("--tls-cert", serve_flags->tls_cert,
                    "PEM certificate chain: serve HTTPS (with --tls-key)");
  serve->add_option("--tls-key", serve_flags->tls_key, "PEM private key of --tls-cert");
  SetAction(serve, [flags, serve_flags, alg_option]() -> int {
    IdpServeSettings settings;
    if (!serve_flags->config.empty()) {
      if (Status s = LoadIdpServeConfig(serve_flags->config, &settings); !s.ok()) return Fail(s);
    }
    const ServeFlags& f = *serve_flags;
    if (!f.listen.empty()) settings.listen = f.listen;
    if (!f.issuer.empty()) settings.issuer = f.issuer;
    if (f.token_ttl > 0) settings.authorization.default_token_ttl_seconds = f.token_ttl;
    if (f.threads > 0) settings.server.threads = f.threads;
    if (!f.tls_cert.empty()) settings.server.tls_certificate_file = f.tls_cert;
    if (!f.tls_key.empty()) settings.server.tls_private_key_file = f.tls_key;
    if (alg_option->count() == 0) flags->alg = settings.alg;
    flags->overlap_seconds = settings.rotation_overlap_seconds;

    http::ServerOptions options = settings.server;
    if (Status s = ParseListen(settings.listen, options); !s.ok()) return Fail(s);
    Status audit_status;
    auto audit = OpenDataFolderAuditSink(flags->data_dir, &audit_status);
    if (!audit) return Fail(audit_status);
    auto idp = OpenIdp(*flags, *audit);
    if (!idp.ok()) return Fail(idp.status());
    std::unique_ptr<idp::AuthorizationServer> as;
    // Set once the issuer (which needs the bound port) is known; requests before then get 503.
    std::atomic<idp::AuthorizationServer*> as_ptr{nullptr};
    auto server = http::HttpServer::StartAsync(
        options, [&as_ptr](const http::Request& r, http::Respond respond) {
          idp::AuthorizationServer* as = as_ptr.load();
          if (!as) return respond(http::Response::Json(503, {{"error", "temporarily_unavailable"}}));
          as->HandleAsync(r, std::move(respond));
        });
    if (!server.ok()) return Fail(server.status());
    idp::AuthorizationServerOptions as_options = settings.authorization;
    as_options.issuer = settings.issuer.empty() ? (*server)->BaseUrl() : settings.issuer;
    as = std::make_unique<idp::AuthorizationServer>(as_options, (*idp)->store(), (*idp)->keys(),
                                                    *audit, SystemClock::Instance());
    as_ptr.store(as.get());
    std::cout << "listening on " << (*server)->BaseUrl() << std::endl;
    std::cerr << "issuer " << as_options.issuer << ", data " << flags->data_dir << std::endl;
    int sig = http::WaitForTerminationSignal();
    std::cerr << "signal " << sig << ": shutting down" << std::endl;
    (*server)->Stop();
    return kExitOk;
  });

  // --- resource ------------------------------------------------------------------------------
  CLI::App* resource = idp->add_subcommand("resource", "register APIs (token audiences)");
  resource->require_subcommand(1);
  struct ResourceFlags {
    std::string uri, scopes;
    int64_t ttl = 0;
    bool introspection = false;
  };
  auto rf = std::make_shared<ResourceFlags>();
  CLI::App* radd = resource->add_subcommand("add", "register or update a resource");
  radd->add_option("URI", rf->uri, "resource identifier (RFC 8707), e.g. https://api.example")
      ->required();
  radd->add_option("--scopes", rf->scopes, "space-separated scopes it defines")->required();
  radd->add_option("--ttl", rf->ttl, "maximum token lifetime for it, seconds (0 = default)");
  radd->add_flag("--introspection-secret", rf->introspection,
                 "generate a secret the resource server uses at /introspect (shown once)");
  SetAction(radd, [flags, rf]() -> int {
    Status st;
    auto audit = OpenDataFolderAuditSink(flags->data_dir, &st);
    if (!audit) return Fail(st);
    auto idp = OpenIdp(*flags, *audit);
    if (!idp.ok()) return Fail(idp.status());
    auto out = (*idp)->AddResource(rf->uri, SplitWords(rf->scopes), rf->ttl, rf->introspection);
    if (!out.ok()) return Fail(out.status());
    if (out->contains("introspection_secret")) {
      std::cerr << "zta: the introspection_secret is shown once; store it as a secret\n";
    }
    return PrintJson(*out);
  });
  CLI::App* rlist = resource->add_subcommand("list", "list resources");
  SetAction(rlist, [flags]() -> int {
    Status st;
    auto audit = OpenDataFolderAuditSink(flags->data_dir, &st);
    if (!audit) return Fail(st);
    auto idp = OpenIdp(*flags, *audit);
    if (!idp.ok()) return Fail(idp.status());
    auto out = (*idp)->ListResources();
    return out.ok() ? PrintJson(*out) : Fail(out.status());
  });

  // --- agent ---------------------------------------------------------------------------------
  CLI::App* agent = idp->add_subcommand("agent", "register and manage agent identities");
  agent->require_subcommand(1);
  struct AgentFlags {
    std::string name, owner, resource, scopes, jwk_file, description, model, id;
    int64_t ttl = 0;
  };
  auto af = std::make_shared<AgentFlags>();
  CLI::App* aadd = agent->add_subcommand("add", "register an agent (its own OAuth client)");
  aadd->add_option("NAME", af->name, "agent name")->required();
  aadd->add_option("--owner", af->owner, "accountable person")->required();
  aadd->add_option("--resource", af->resource, "resource URI it may call")->required();
  aadd->add_option("--scopes", af->scopes, "space-separated scopes it may request")->required();
  aadd->add_option("--jwk", af->jwk_file,
                   "public JWK file: authenticate with private_key_jwt instead of a secret");
  aadd->add_option("--ttl", af->ttl, "maximum token lifetime, seconds (0 = no agent cap)");
  aadd->add_option("--description", af->description, "what the agent does");
  aadd->add_option("--model", af->model, "the model it runs on (informational)");
  SetAction(aadd, [flags, af]() -> int {
    idp::AgentSpec spec;
    spec.name = af->name;
    spec.owner = af->owner;
    spec.resource = af->resource;
    spec.scopes = SplitWords(af->scopes);
    spec.description = af->description;
    spec.model = af->model;
    spec.max_token_ttl_seconds = af->ttl;
    if (!af->jwk_file.empty()) {
      std::string text, error;
      if (!ReadFileOrStdin(af->jwk_file, text, &error)) return UsageError(error);
      auto j = ParseJsonStrict(text);
      if (!j.ok()) return UsageError(af->jwk_file + " is not valid JSON");
      spec.public_jwk = *j;
    }
    Status st;
    auto audit = OpenDataFolderAuditSink(flags->data_dir, &st);
    if (!audit) return Fail(st);
    auto idp = OpenIdp(*flags, *audit);
    if (!idp.ok()) return Fail(idp.status());
    auto out = (*idp)->AddAgent(spec);
    if (!out.ok()) return Fail(out.status());
    if (out->contains("client_secret")) {
      std::cerr << "zta: the client_secret is shown once and stored only as a digest; keep it "
                   "secret\n";
    }
    return PrintJson(*out);
  });
  auto simple = [&](const char* name, const char* help, bool takes_id,
                    std::function<int(idp::IdentityProvider&, const std::string&)> body) {
    CLI::App* cmd = agent->add_subcommand(name, help);
    if (takes_id) cmd->add_option("ID", af->id, "client_id")->required();
    SetAction(cmd, [flags, af, body]() -> int {
      Status st;
      auto audit = OpenDataFolderAuditSink(flags->data_dir, &st);
      if (!audit) return Fail(st);
      auto idp = OpenIdp(*flags, *audit);
      if (!idp.ok()) return Fail(idp.status());
      return body(**idp, af->id);
    });
  };
  simple("list", "list agents", false, [](idp::IdentityProvider& p, const std::string&) {
    auto out = p.ListAgents();
    return out.ok() ? PrintJson(*out) : Fail(out.status());
  });
  simple("show", "show one agent", true, [](idp::IdentityProvider& p, const std::string& id) {
    auto out = p.ShowAgent(id);
    return out.ok() ? PrintJson(*out) : Fail(out.status());
  });
  simple("disable", "refuse new tokens; outstanding tokens become inactive", true,
         [](idp::IdentityProvider& p, const std::string& id) {
           Status s = p.SetAgentEnabled(id, false);
           return s.ok() ? (std::cout << "disabled " << id << "\n", kExitOk) : Fail(s);
         });
  simple("enable", "allow the agent again", true,
         [](idp::IdentityProvider& p, const std::string& id) {
           Status s = p.SetAgentEnabled(id, true);
           return s.ok() ? (std::cout << "enabled " << id << "\n", kExitOk) : Fail(s);
         });
  simple("delete", "remove the agent; its tokens become inactive", true,
         [](idp::IdentityProvider& p, const std::string& id) {
           Status s = p.DeleteAgent(id);
           return s.ok() ? (std::cout << "deleted " << id << "\n", kExitOk) : Fail(s);
         });

  // --- keys ----------------------------------------------------------------------------------
  CLI::App* keys = idp->add_subcommand("keys", "signing keys");
  keys->require_subcommand(1);
  auto print_rows = [](const std::vector<idp::IdpStore::KeyRow>& rows) {
    Json out = Json::array();
    for (const auto& r : rows) {
      out.push_back({{"kid", r.kid},
                     {"alg", r.alg},
                     {"created_at", r.created_at},
                     {"activate_at", r.activate_at},
                     {"publish_until", r.publish_until}});
    }
    return PrintJson(out);
  };
  CLI::App* klist = keys->add_subcommand("list", "list signing keys and their schedule");
  SetAction(klist, [flags, print_rows]() -> int {
    Status st;
    auto audit = OpenDataFolderAuditSink(flags->data_dir, &st);
    if (!audit) return Fail(st);
    auto idp = OpenIdp(*flags, *audit);
    if (!idp.ok()) return Fail(idp.status());
    return print_rows((*idp)->keys().List());
  });
  CLI::App* krot = keys->add_subcommand(
      "rotate", "publish a new key now; it signs after --overlap seconds");
  krot->add_option("--overlap", flags->overlap_seconds,
                   "seconds the new key is published before it signs (default 60)");
  krot->add_option("--alg", flags->alg, "algorithm of the new key (default ES256)");
  SetAction(krot, [flags]() -> int {
    Status st;
    auto audit = OpenDataFolderAuditSink(flags->data_dir, &st);
    if (!audit) return Fail(st);
    auto idp = OpenIdp(*flags, *audit);
    if (!idp.ok()) return Fail(idp.status());
    auto row = (*idp)->keys().Rotate();
    if (!row.ok()) return Fail(row.status());
    AuditEvent e;
    e.component = "idp";
    e.action = "keys.rotate";
    e.attributes["zta.kid"] = row->kid;
    (void)audit->Append(e);
    return PrintJson({{"kid", row->kid}, {"alg", row->alg}, {"activate_at", row->activate_at}});
  });
}

}  // namespace zta::cli
