// `zta idp serve|resource|agent|app|user|keys|migrate`: run the embedded identity provider and
// administer its registry in a data folder or a shared PostgreSQL store. Registry changes take effect in a running server within a second.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/secret.h"
#include "zta/http/message.h"
#include "zta/http/protocol.h"
#include "zta/http/server.h"
#include "zta/idp/authorization_server.h"
#include "zta/idp/identity_provider.h"
#include "zta/idp/idp_service.h"
#include "zta/idp/sql_idp_store.h"
#include "zta/store/postgres.h"
#include "zta/web/files.h"

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

// Flags of `zta idp` itself, shared by every subcommand.
struct IdpFlags {
  std::string data_dir = DefaultDataDir();
  // --store postgresql://...: the shared store of several nodes (docs/scale.md); "" = data_dir.
  std::string store_url;
  // --node-id: this node's audit chain in the store; "" = [store] node_id, else the host name.
  std::string node_id;
  std::string alg = "ES256";
  int64_t overlap_seconds = 60;
};

struct ServeFlags {
  std::string config;
  std::string listen;
  std::string issuer;
  int64_t token_ttl = 0;
  int threads = 0;
  std::string tls_cert, tls_key;
  const CLI::Option* alg_option = nullptr;  // --alg, which overrides the config file's alg
};

struct ResourceFlags {
  std::string uri, scopes;
  int64_t ttl = 0;
  bool introspection = false;
  std::vector<std::string> scope_descriptions;  // "scope=text"
  // RFC 9396 details types: the i-th type goes with the i-th schema file and text.
  std::vector<std::string> details_types, details_schemas, details_texts;
};

struct AppFlags {
  std::string name, id;
  std::vector<std::string> redirect_uris, post_logout_redirect_uris;
  bool is_public = false, require_par = false, require_dpop = false;
};

struct UserFlags {
  std::string name, email, display_name, id;
  bool password_stdin = false;
};

struct AgentFlags {
  std::string name, owner, resource, scopes, jwk_file, description, model, id;
  int64_t ttl = 0;
  bool require_dpop = false;
  std::vector<std::string> federated_subjects;  // "ISSUER=SUBJECT"
};

// A data folder opened for one command: its audit log and the identity provider that writes to
// it. `idp` is declared last so that it is destroyed before the sink it holds a reference to.
struct DataFolder {
  std::unique_ptr<AuditSink> audit;
  std::unique_ptr<idp::IdentityProvider> idp;
};

Result<jose::Algorithm> KeyAlgorithm(const std::string& name) {
  auto alg = jose::AlgorithmFromName(name);
  if (!alg || jose::Spec(*alg).key_type == jose::KeyType::kOct) {
    return InvalidArgument("--alg must be ES256, ES384, RS256, PS256 or EdDSA");
  }
  return *alg;
}

Result<std::unique_ptr<idp::IdentityProvider>> OpenIdp(const IdpFlags& flags, AuditSink& audit) {
  idp::KeyManagerOptions keys;
  ZTA_ASSIGN_OR_RETURN(keys.alg, KeyAlgorithm(flags.alg));
  keys.rotation_overlap_seconds = flags.overlap_seconds;
  return idp::IdentityProvider::Open(idp::IdpLocation{flags.data_dir, flags.store_url}, keys,
                                     audit, SystemClock::Instance());
}

// Opens the data folder once per command: the audit sink first, then the IdP over it. A folder
// that cannot be opened is a configuration error (exit 2), e.g. a wrong key-encryption key.
Result<DataFolder> OpenDataFolder(const IdpFlags& flags) {
  DataFolder folder;
  Status audit_status;
  folder.audit = OpenAuditSink(flags.data_dir, flags.store_url,
                               flags.node_id.empty() ? idp::DefaultNodeId() : flags.node_id,
                               &audit_status);
  if (!folder.audit) return audit_status;
  auto idp = OpenIdp(flags, *folder.audit);
  if (!idp.ok()) return AsConfigurationError(idp.status());
  folder.idp = std::move(idp).value();
  return folder;
}

int PrintJson(const Json& j) {
  std::cout << DumpJson(j, 2) << "\n";
  return kExitOk;
}

int Fail(const Status& s) {
  std::cerr << "zta: " << s.message() << "\n";
  return ExitCodeFor(s);
}

Status ParseListen(const std::string& listen, http::ServerOptions& options) {
  auto parsed = http::ParseHostPort(listen);
  if (!parsed.ok()) return InvalidArgument("--listen: " + parsed.status().message());
  options.host = parsed->host;
  options.port = parsed->port;
  return Status::Ok();
}

// --- serve ---------------------------------------------------------------------------------

// The config file (if any) with the flags laid over it.
Result<idp::IdpServiceOptions> ServiceOptions(const IdpFlags& flags, const ServeFlags& f) {
  idp::IdpServiceOptions options;
  options.data_dir = flags.data_dir;
  options.keys.rotation_overlap_seconds = flags.overlap_seconds;
  options.server.port = 8080;
  options.authorization.static_files = web::Files();  // the pages' stylesheet, under /static/
  if (!f.config.empty()) ZTA_RETURN_IF_ERROR(idp::LoadIdpServiceConfig(f.config, &options));
  if (!flags.store_url.empty()) options.store_url = flags.store_url;
  if (!flags.node_id.empty()) options.node_id = flags.node_id;
  if (options.node_id.empty()) options.node_id = idp::DefaultNodeId();
  if (!f.listen.empty()) ZTA_RETURN_IF_ERROR(ParseListen(f.listen, options.server));
  if (!f.issuer.empty()) options.authorization.issuer = f.issuer;
  if (f.token_ttl > 0) options.authorization.default_token_ttl_seconds = f.token_ttl;
  if (f.threads > 0) options.server.threads = f.threads;
  if (!f.tls_cert.empty()) options.server.tls_certificate_file = f.tls_cert;
  if (!f.tls_key.empty()) options.server.tls_private_key_file = f.tls_key;
  if (f.alg_option->count() > 0) {
    ZTA_ASSIGN_OR_RETURN(options.keys.alg, KeyAlgorithm(flags.alg));
  }
  return options;
}

int RunServe(const IdpFlags& flags, const ServeFlags& serve_flags) {
  auto options = ServiceOptions(flags, serve_flags);
  if (!options.ok()) return Fail(options.status());
  Status audit_status;
  std::unique_ptr<AuditSink> audit =
      OpenAuditSink(flags.data_dir, options->store_url, options->node_id, &audit_status);
  if (!audit) return Fail(audit_status);
  auto service = idp::IdpService::Start(*options, *audit, SystemClock::Instance());
  if (!service.ok()) return Fail(AsConfigurationError(service.status()));
  std::cout << "listening on " << (*service)->BaseUrl() << std::endl;
  std::cerr << "issuer " << (*service)->issuer() << ", store "
            << (*service)->idp().store().Describe() << ", audit "
            << (options->store_url.empty() ? flags.data_dir
                                           : "chain " + options->node_id + " in the store")
            << std::endl;
  int sig = http::WaitForTerminationSignal();
  std::cerr << "signal " << sig << ": shutting down" << std::endl;
  (*service)->Stop();
  return kExitOk;
}

void RegisterServe(CLI::App* idp, std::shared_ptr<IdpFlags> flags) {
  auto f = std::make_shared<ServeFlags>();
  CLI::App* serve = idp->add_subcommand("serve", "run the authorization server");
  serve->add_option("--config", f->config,
                    "TOML settings (docs/idp.md); the flags below override it");
  serve->add_option("--listen", f->listen,
                    "HOST:PORT (default 127.0.0.1:8080; port 0 picks a free port)");
  serve->add_option("--issuer", f->issuer, "issuer URL (default: http(s)://HOST:PORT as bound)");
  f->alg_option =
      serve->add_option("--alg", flags->alg, "algorithm of new signing keys (default ES256)");
  serve->add_option("--token-ttl", f->token_ttl, "access token lifetime (default 300 s)");
  serve->add_option("--threads", f->threads,
                    "I/O threads (default: one per CPU it may run on, at most 8)");
  serve->add_option("--tls-cert", f->tls_cert,
                    "PEM certificate chain: serve HTTPS (with --tls-key)");
  serve->add_option("--tls-key", f->tls_key, "PEM private key of --tls-cert");
  SetAction(serve, [flags, f] { return RunServe(*flags, *f); });
}

// --- resource ------------------------------------------------------------------------------

int RunResourceAdd(const IdpFlags& flags, const ResourceFlags& rf) {
  idp::ResourceSpec spec;
  spec.uri = rf.uri;
  spec.scopes = SplitWords(rf.scopes);
  spec.max_ttl_seconds = rf.ttl;
  spec.with_introspection_secret = rf.introspection;
  for (const auto& d : rf.scope_descriptions) {
    size_t eq = d.find('=');
    if (eq == std::string::npos || eq == 0) {
      return UsageError("--scope-description takes SCOPE=TEXT, got '" + d + "'");
    }
    spec.scope_descriptions[d.substr(0, eq)] = d.substr(eq + 1);
  }
  if (rf.details_schemas.size() != rf.details_types.size() ||
      rf.details_texts.size() != rf.details_types.size()) {
    return UsageError("each --details-type needs one --details-schema FILE and one --details-text");
  }
  for (size_t i = 0; i < rf.details_types.size(); ++i) {
    idp::DetailsTypeSpec d;
    d.type = rf.details_types[i];
    std::string error;
    if (!ReadFileOrStdin(rf.details_schemas[i], d.schema_json, &error)) return UsageError(error);
    d.text = rf.details_texts[i];
    spec.details_types.push_back(std::move(d));
  }
  auto folder = OpenDataFolder(flags);
  if (!folder.ok()) return Fail(folder.status());
  auto out = folder->idp->AddResource(spec);
  if (!out.ok()) return Fail(out.status());
  if (out->contains("introspection_secret")) {
    std::cerr << "zta: the introspection_secret is shown once; store it as a secret\n";
  }
  return PrintJson(*out);
}

int RunResourceList(const IdpFlags& flags) {
  auto folder = OpenDataFolder(flags);
  if (!folder.ok()) return Fail(folder.status());
  auto out = folder->idp->ListResources();
  return out.ok() ? PrintJson(*out) : Fail(out.status());
}

void RegisterResource(CLI::App* idp, std::shared_ptr<IdpFlags> flags) {
  CLI::App* resource = idp->add_subcommand("resource", "register APIs (token audiences)");
  resource->require_subcommand(1);
  auto rf = std::make_shared<ResourceFlags>();
  CLI::App* radd = resource->add_subcommand("add", "register or update a resource");
  radd->add_option("URI", rf->uri, "resource identifier (RFC 8707), e.g. https://api.example")
      ->required();
  radd->add_option("--scopes", rf->scopes, "space-separated scopes it defines")->required();
  radd->add_option("--ttl", rf->ttl, "maximum token lifetime for it, seconds (0 = default)");
  radd->add_flag("--introspection-secret", rf->introspection,
                 "generate a secret the resource server uses at /introspect (shown once)");
  radd->add_option("--scope-description", rf->scope_descriptions,
                   "SCOPE=TEXT: plain words for the consent page (repeatable)");
  radd->add_option("--details-type", rf->details_types,
                   "an RFC 9396 authorization_details type it accepts (repeatable, each with "
                   "--details-schema and --details-text)");
  radd->add_option("--details-schema", rf->details_schemas,
                   "JSON Schema file of one entry of the type (- for stdin)");
  radd->add_option("--details-text", rf->details_texts,
                   "consent-page template, e.g. 'book room {room_id} at {hotel_id}'");
  SetAction(radd, [flags, rf] { return RunResourceAdd(*flags, *rf); });
  CLI::App* rlist = resource->add_subcommand("list", "list resources");
  SetAction(rlist, [flags] { return RunResourceList(*flags); });
}

// --- agent ---------------------------------------------------------------------------------

int RunAgentAdd(const IdpFlags& flags, const AgentFlags& af) {
  idp::AgentSpec spec;
  spec.name = af.name;
  spec.owner = af.owner;
  spec.resource = af.resource;
  spec.scopes = SplitWords(af.scopes);
  spec.description = af.description;
  spec.model = af.model;
  spec.max_token_ttl_seconds = af.ttl;
  spec.require_dpop = af.require_dpop;
  for (const auto& f : af.federated_subjects) {
    // An issuer (RFC 8414 §2) has no query, so its first '=' ends it.
    size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == f.size()) {
      return UsageError("--federated-subject takes ISSUER=SUBJECT, got '" + f + "'");
    }
    spec.federated_subjects.push_back({f.substr(0, eq), f.substr(eq + 1)});
  }
  if (!af.jwk_file.empty()) {
    std::string text, error;
    if (!ReadFileOrStdin(af.jwk_file, text, &error)) return UsageError(error);
    auto j = ParseJsonStrict(text);
    if (!j.ok()) return UsageError(af.jwk_file + " is not valid JSON");
    spec.public_jwk = *j;
  }
  auto folder = OpenDataFolder(flags);
  if (!folder.ok()) return Fail(folder.status());
  auto out = folder->idp->AddAgent(spec);
  if (!out.ok()) return Fail(out.status());
  if (out->contains("client_secret")) {
    std::cerr << "zta: the client_secret is shown once and stored only as a digest; keep it "
                 "secret\n";
  }
  return PrintJson(*out);
}

int RunAgentList(const IdpFlags& flags) {
  auto folder = OpenDataFolder(flags);
  if (!folder.ok()) return Fail(folder.status());
  auto out = folder->idp->ListAgents();
  return out.ok() ? PrintJson(*out) : Fail(out.status());
}

int RunAgentShow(const IdpFlags& flags, const std::string& id) {
  auto folder = OpenDataFolder(flags);
  if (!folder.ok()) return Fail(folder.status());
  auto out = folder->idp->ShowAgent(id);
  return out.ok() ? PrintJson(*out) : Fail(out.status());
}

// `agent disable` and `agent enable`.
int RunAgentSetEnabled(const IdpFlags& flags, const std::string& id, bool enabled) {
  auto folder = OpenDataFolder(flags);
  if (!folder.ok()) return Fail(folder.status());
  if (Status s = folder->idp->SetAgentEnabled(id, enabled); !s.ok()) return Fail(s);
  std::cout << (enabled ? "enabled " : "disabled ") << id << "\n";
  return kExitOk;
}

int RunAgentDelete(const IdpFlags& flags, const std::string& id) {
  auto folder = OpenDataFolder(flags);
  if (!folder.ok()) return Fail(folder.status());
  if (Status s = folder->idp->DeleteAgent(id); !s.ok()) return Fail(s);
  std::cout << "deleted " << id << "\n";
  return kExitOk;
}

// A subcommand of `zta idp agent` that takes one client_id.
CLI::App* AddAgentIdCommand(CLI::App* agent, AgentFlags& af, const char* name, const char* help) {
  CLI::App* cmd = agent->add_subcommand(name, help);
  cmd->add_option("ID", af.id, "client_id")->required();
  return cmd;
}

// `agent delegate | delegations | undelegate`: who may act after whom (RFC 8693 exchange).
struct DelegateFlags {
  std::string from, to, resource, scopes, agent;
  int max_depth = 0;
};

int RunAgentDelegate(const IdpFlags& flags, const DelegateFlags& df) {
  idp::DelegationRuleSpec spec;
  spec.from = df.from;
  spec.to = df.to;
  spec.resource = df.resource;
  spec.scopes = SplitWords(df.scopes);
  spec.max_depth = df.max_depth;
  auto folder = OpenDataFolder(flags);
  if (!folder.ok()) return Fail(folder.status());
  auto out = folder->idp->AddDelegationRule(spec);
  return out.ok() ? PrintJson(*out) : Fail(out.status());
}

void RegisterAgentDelegation(CLI::App* agent, std::shared_ptr<IdpFlags> flags) {
  auto df = std::make_shared<DelegateFlags>();
  CLI::App* add = agent->add_subcommand(
      "delegate", "let agent TO exchange tokens whose current actor is agent FROM (RFC 8693)");
  add->add_option("FROM_ID", df->from, "client_id of the agent that hands work on")->required();
  add->add_option("TO_ID", df->to, "client_id of the agent that takes it")->required();
  add->add_option("--resource", df->resource, "only for this resource URI (default: any)");
  add->add_option("--scopes", df->scopes,
                  "space-separated scopes it may pass on (default: any the subject token has)");
  add->add_option("--max-depth", df->max_depth,
                  "longest actor chain after the exchange (default 0: the server cap, 4)");
  SetAction(add, [flags, df] { return RunAgentDelegate(*flags, *df); });
  CLI::App* list = agent->add_subcommand("delegations", "list delegation rules");
  list->add_option("ID", df->agent, "only the rules from or to this agent");
  SetAction(list, [flags, df] {
    auto folder = OpenDataFolder(*flags);
    if (!folder.ok()) return Fail(folder.status());
    auto out = folder->idp->ListDelegationRules(df->agent);
    return out.ok() ? PrintJson(*out) : Fail(out.status());
  });
  CLI::App* del = agent->add_subcommand("undelegate", "remove a delegation rule");
  del->add_option("FROM_ID", df->from, "client_id")->required();
  del->add_option("TO_ID", df->to, "client_id")->required();
  SetAction(del, [flags, df] {
    auto folder = OpenDataFolder(*flags);
    if (!folder.ok()) return Fail(folder.status());
    if (Status s = folder->idp->DeleteDelegationRule(df->from, df->to); !s.ok()) return Fail(s);
    std::cout << "removed the delegation rule from " << df->from << " to " << df->to << "\n";
    return kExitOk;
  });
}

void RegisterAgent(CLI::App* idp, std::shared_ptr<IdpFlags> flags) {
  CLI::App* agent = idp->add_subcommand("agent", "register and manage agent identities");
  agent->require_subcommand(1);
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
  aadd->add_flag("--require-dpop", af->require_dpop,
                 "refuse token requests without a DPoP proof (RFC 9449 §5.2): every token it "
                 "gets is bound to its key, so a leaked token alone is useless");
  aadd->add_option("--federated-subject", af->federated_subjects,
                   "ISSUER=SUBJECT: an external identity that authenticates as this agent with "
                   "its issuer's JWT (repeatable; the issuer must be added with zta idp "
                   "federation add --allow-client-assertion)");
  SetAction(aadd, [flags, af] { return RunAgentAdd(*flags, *af); });
  SetAction(agent->add_subcommand("list", "list agents"), [flags] { return RunAgentList(*flags); });
  SetAction(AddAgentIdCommand(agent, *af, "show", "show one agent"),
            [flags, af] { return RunAgentShow(*flags, af->id); });
  SetAction(AddAgentIdCommand(agent, *af, "disable",
                              "refuse new tokens; outstanding tokens become inactive"),
            [flags, af] { return RunAgentSetEnabled(*flags, af->id, false); });
  SetAction(AddAgentIdCommand(agent, *af, "enable", "allow the agent again"),
            [flags, af] { return RunAgentSetEnabled(*flags, af->id, true); });
  SetAction(AddAgentIdCommand(agent, *af, "delete", "remove the agent; its tokens become inactive"),
            [flags, af] { return RunAgentDelete(*flags, af->id); });
  RegisterAgentDelegation(agent, flags);
}

// --- app -----------------------------------------------------------------------------------

int RunAppAdd(const IdpFlags& flags, const AppFlags& af) {
  idp::AppSpec spec;
  spec.name = af.name;
  spec.redirect_uris = af.redirect_uris;
  spec.post_logout_redirect_uris = af.post_logout_redirect_uris;
  spec.is_public = af.is_public;
  spec.require_par = af.require_par;
  spec.require_dpop = af.require_dpop;
  auto folder = OpenDataFolder(flags);
  if (!folder.ok()) return Fail(folder.status());
  auto out = folder->idp->AddApp(spec);
  if (!out.ok()) return Fail(out.status());
  if (out->contains("client_secret")) {
    std::cerr << "zta: the client_secret is shown once and stored only as a digest; keep it "
                 "secret\n";
  }
  return PrintJson(*out);
}

void RegisterApp(CLI::App* idp, std::shared_ptr<IdpFlags> flags) {
  CLI::App* app = idp->add_subcommand("app", "register client applications that host agents");
  app->require_subcommand(1);
  auto af = std::make_shared<AppFlags>();
  CLI::App* add = app->add_subcommand("add", "register an app (an OAuth client for /authorize)");
  add->add_option("NAME", af->name, "app name")->required();
  add->add_option("--redirect-uri", af->redirect_uris,
                  "redirect URI (repeatable): https, http on loopback (any port when none is "
                  "given, RFC 8252 §7.3) or a private-use scheme like com.example.app:/cb")
      ->required();
  add->add_option("--post-logout-redirect-uri", af->post_logout_redirect_uris,
                  "where the app may send users after logout (repeatable)");
  add->add_flag("--public", af->is_public,
                "a public client (no secret; PKCE alone), e.g. a CLI or single-page app");
  add->add_flag("--require-par", af->require_par,
                "accept only pushed authorization requests (RFC 9126)");
  add->add_flag("--require-dpop", af->require_dpop,
                "refuse token requests without a DPoP proof (RFC 9449 §5.2); its tokens and "
                "refresh tokens are bound to the app's key");
  SetAction(add, [flags, af] { return RunAppAdd(*flags, *af); });
  SetAction(app->add_subcommand("list", "list apps"), [flags] {
    auto folder = OpenDataFolder(*flags);
    if (!folder.ok()) return Fail(folder.status());
    auto out = folder->idp->ListApps();
    return out.ok() ? PrintJson(*out) : Fail(out.status());
  });
  CLI::App* show = app->add_subcommand("show", "show one app");
  show->add_option("ID", af->id, "client_id")->required();
  SetAction(show, [flags, af] {
    auto folder = OpenDataFolder(*flags);
    if (!folder.ok()) return Fail(folder.status());
    auto out = folder->idp->ShowApp(af->id);
    return out.ok() ? PrintJson(*out) : Fail(out.status());
  });
  CLI::App* del = app->add_subcommand("delete", "remove the app; it can no longer sign users in");
  del->add_option("ID", af->id, "client_id")->required();
  SetAction(del, [flags, af] {
    auto folder = OpenDataFolder(*flags);
    if (!folder.ok()) return Fail(folder.status());
    if (Status s = folder->idp->DeleteApp(af->id); !s.ok()) return Fail(s);
    std::cout << "deleted " << af->id << "\n";
    return kExitOk;
  });
}

// --- user ----------------------------------------------------------------------------------

// One line of standard input without its line ending: a password is never an argument (it
// would show in `ps` and shell history).
Result<Secret> ReadPasswordLine() {
  std::string line;
  if (!std::getline(std::cin, line) && line.empty()) {
    return InvalidArgument("--password-stdin: no password on standard input");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  Secret password(line);
  std::fill(line.begin(), line.end(), '\0');  // no second copy left in memory
  if (password.empty()) return InvalidArgument("--password-stdin: the password is empty");
  return password;
}

int RunUserAdd(const IdpFlags& flags, const UserFlags& uf) {
  if (!uf.password_stdin) {
    return UsageError(
        "user add needs --password-stdin (the password is read from "
        "standard input, never from an argument)");
  }
  auto password = ReadPasswordLine();
  if (!password.ok()) return Fail(password.status());
  auto folder = OpenDataFolder(flags);
  if (!folder.ok()) return Fail(folder.status());
  auto out = folder->idp->AddUser(uf.name, uf.email, uf.display_name, *password);
  return out.ok() ? PrintJson(*out) : Fail(out.status());
}

int RunUserPasswd(const IdpFlags& flags, const UserFlags& uf) {
  if (!uf.password_stdin) {
    return UsageError("user passwd needs --password-stdin (one line of standard input)");
  }
  auto password = ReadPasswordLine();
  if (!password.ok()) return Fail(password.status());
  auto folder = OpenDataFolder(flags);
  if (!folder.ok()) return Fail(folder.status());
  if (Status s = folder->idp->SetUserPassword(uf.id, *password); !s.ok()) return Fail(s);
  std::cout << "password changed for " << uf.id << "\n";
  return kExitOk;
}

// `user show | disable | enable | delete ID|NAME`.
int RunUserCommand(const IdpFlags& flags, const std::string& command, const std::string& user) {
  auto folder = OpenDataFolder(flags);
  if (!folder.ok()) return Fail(folder.status());
  idp::IdentityProvider& idp = *folder->idp;
  if (command == "show") {
    auto out = idp.ShowUser(user);
    return out.ok() ? PrintJson(*out) : Fail(out.status());
  }
  Status s = command == "delete"   ? idp.DeleteUser(user)
             : command == "enable" ? idp.SetUserEnabled(user, true)
                                   : idp.SetUserEnabled(user, false);
  if (!s.ok()) return Fail(s);
  std::cout << (command == "delete"   ? "deleted "
                : command == "enable" ? "enabled "
                                      : "disabled ")
            << user << "\n";
  return kExitOk;
}

void RegisterUser(CLI::App* idp, std::shared_ptr<IdpFlags> flags) {
  CLI::App* user = idp->add_subcommand("user", "people who sign in and let agents act for them");
  user->require_subcommand(1);
  auto uf = std::make_shared<UserFlags>();
  CLI::App* add = user->add_subcommand("add", "add a user (password from standard input)");
  add->add_option("NAME", uf->name, "login name (unique)")->required();
  add->add_option("--email", uf->email, "e-mail address");
  add->add_option("--display-name", uf->display_name, "name shown on the idp's pages");
  add->add_flag("--password-stdin", uf->password_stdin,
                "read the password from one line of standard input (required)");
  SetAction(add, [flags, uf] { return RunUserAdd(*flags, *uf); });
  SetAction(user->add_subcommand("list", "list users"), [flags] {
    auto folder = OpenDataFolder(*flags);
    if (!folder.ok()) return Fail(folder.status());
    auto out = folder->idp->ListUsers();
    return out.ok() ? PrintJson(*out) : Fail(out.status());
  });
  struct Sub {
    const char* name;
    const char* help;
  };
  for (Sub sub : {Sub{"show", "show one user"},
                  Sub{"disable", "refuse new tokens; outstanding ones become inactive"},
                  Sub{"enable", "allow the user again"},
                  Sub{"delete", "remove the user and revoke their grants"}}) {
    CLI::App* cmd = user->add_subcommand(sub.name, sub.help);
    cmd->add_option("USER", uf->id, "user id (u-...) or login name")->required();
    std::string command = sub.name;
    SetAction(cmd, [flags, uf, command] { return RunUserCommand(*flags, command, uf->id); });
  }
  CLI::App* passwd = user->add_subcommand("passwd", "set a user's password (from standard input)");
  passwd->add_option("USER", uf->id, "user id (u-...) or login name")->required();
  passwd->add_flag("--password-stdin", uf->password_stdin,
                   "read the password from one line of standard input (required)");
  SetAction(passwd, [flags, uf] { return RunUserPasswd(*flags, *uf); });
}

// --- keys ----------------------------------------------------------------------------------

int RunKeysList(const IdpFlags& flags) {
  auto folder = OpenDataFolder(flags);
  if (!folder.ok()) return Fail(folder.status());
  Json out = Json::array();
  for (const auto& r : folder->idp->keys().List()) {
    out.push_back({{"kid", r.kid},
                   {"alg", r.alg},
                   {"created_at", r.created_at},
                   {"activate_at", r.activate_at},
                   {"publish_until", r.publish_until}});
  }
  return PrintJson(out);
}

int RunKeysRotate(const IdpFlags& flags) {
  auto folder = OpenDataFolder(flags);
  if (!folder.ok()) return Fail(folder.status());
  auto row = folder->idp->RotateKeys();
  if (!row.ok()) return Fail(row.status());
  return PrintJson({{"kid", row->kid}, {"alg", row->alg}, {"activate_at", row->activate_at}});
}

// --- migrate -------------------------------------------------------------------------------

int RunMigrate(const IdpFlags& flags) {
  if (flags.store_url.empty()) {
    return UsageError("migrate needs --store postgresql://... (a data folder's SQLite file "
                      "creates its tables itself)");
  }
  store::PostgresOptions options;
  options.url = flags.store_url;
  options.application_name = "zta-idp-migrate";
  auto conn = store::ConnectPostgres(options);
  if (!conn.ok()) return Fail(conn.status());
  auto before = idp::SqlIdpStore::MigratePostgres(**conn);
  if (!before.ok()) return Fail(AsConfigurationError(before.status()));
  return PrintJson({{"store", (*conn)->Describe()},
                    {"schema_before", *before},
                    {"schema", idp::LatestPostgresSchema()},
                    {"applied", idp::LatestPostgresSchema() - *before}});
}

void RegisterMigrate(CLI::App* idp, std::shared_ptr<IdpFlags> flags) {
  CLI::App* migrate = idp->add_subcommand(
      "migrate", "bring a PostgreSQL store's schema up to this zta's, in one transaction");
  SetAction(migrate, [flags] { return RunMigrate(*flags); });
}

void RegisterKeys(CLI::App* idp, std::shared_ptr<IdpFlags> flags) {
  CLI::App* keys = idp->add_subcommand("keys", "signing keys");
  keys->require_subcommand(1);
  CLI::App* klist = keys->add_subcommand("list", "list signing keys and their schedule");
  SetAction(klist, [flags] { return RunKeysList(*flags); });
  CLI::App* krot =
      keys->add_subcommand("rotate", "publish a new key now; it signs after --overlap seconds");
  krot->add_option("--overlap", flags->overlap_seconds,
                   "seconds the new key is published before it signs (default 60)");
  krot->add_option("--alg", flags->alg, "algorithm of the new key (default ES256)");
  SetAction(krot, [flags] { return RunKeysRotate(*flags); });
}

}  // namespace

void RegisterIdpCommands(CLI::App& app) {
  auto flags = std::make_shared<IdpFlags>();
  CLI::App* idp = app.add_subcommand("idp", "the embedded identity provider (OAuth 2.0 AS)");
  idp->require_subcommand(1);
  idp->add_option("--data", flags->data_dir,
                  "data folder (default: $ZTA_DATA_DIR or ./zta-data); with --store it keeps "
                  "this node's audit log only");
  idp->add_option("--store", flags->store_url,
                  "postgresql://... store shared by several idp nodes (docs/scale.md); the "
                  "password from PGPASSWORD or PGPASSFILE; needs ZTA_IDP_KEY_ENCRYPTION_KEY")
      ->check([](const std::string& url) {
        return store::IsPostgresUrl(url) ? std::string()
                                          : std::string("--store must be a postgresql:// URL");
      });
  idp->add_option("--node-id", flags->node_id,
                  "this node's name in the store: its audit chain there (default: [store] "
                  "node_id, else the host name; nodes on one host need one each)")
      ->check([](const std::string& id) {
        return idp::IsValidNodeId(id) && !id.empty()
                   ? std::string()
                   : std::string("--node-id must be 1-64 letters, digits, '.', '-', '_' or ':'");
      });
  RegisterServe(idp, flags);
  RegisterResource(idp, flags);
  RegisterAgent(idp, flags);
  RegisterApp(idp, flags);
  RegisterUser(idp, flags);
  RegisterKeys(idp, flags);
  RegisterMigrate(idp, flags);
  RegisterIdpFederationCommands(idp, std::shared_ptr<std::string>(flags, &flags->data_dir));
}

}  // namespace zta::cli
