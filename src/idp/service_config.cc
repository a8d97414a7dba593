// TOML settings of an identity provider service (`zta idp serve --config`, docs/idp.md). Syntax
// errors come back from ParseToml as InvalidArgument with the file and position.
#include <unistd.h>

#include <toml++/toml.h>

#include <cstdlib>
#include <cstring>

#include "zta/store/postgres.h"
#include "zta/core/toml_reader.h"
#include "zta/http/protocol.h"
#include "zta/idp/idp_service.h"
#include "zta/jose/algorithm.h"
#include "zta/jose/dpop.h"

namespace zta::idp {
namespace {

// Reads the optional sub-table `name` of `root` with `read`, refusing a non-table value.
template <typename Fn>
Status ReadSection(const toml::table& root, const char* name, TableReader& top, Fn read) {
  top.Skip(name);
  const toml::node* node = root.get(name);
  if (node == nullptr) return Status::Ok();
  const toml::table* table = node->as_table();
  if (table == nullptr) return InvalidArgument(std::string(name) + " must be a table");
  TableReader r(*table, std::string(name) + ".");
  ZTA_RETURN_IF_ERROR(read(r));
  return r.Finish();
}

// `listen = "HOST:PORT"` into the server options.
Status ReadListen(TableReader& r, http::ServerOptions& server) {
  std::string listen;
  ZTA_RETURN_IF_ERROR(r.Get("listen", &listen));
  if (listen.empty()) return Status::Ok();
  auto parsed = http::ParseHostPort(listen);
  if (!parsed.ok()) return InvalidArgument("server.listen: " + parsed.status().message());
  server.host = parsed->host;
  server.port = parsed->port;
  return Status::Ok();
}

// `alg = "ES256"`: an asymmetric JWS algorithm for new signing keys.
Status ReadKeyAlgorithm(TableReader& r, KeyManagerOptions& keys) {
  std::string name;
  ZTA_RETURN_IF_ERROR(r.Get("alg", &name));
  if (name.empty()) return Status::Ok();
  auto alg = jose::AlgorithmFromName(name);
  if (!alg || jose::Spec(*alg).key_type == jose::KeyType::kOct) {
    return InvalidArgument("keys.alg must be ES256, ES384, RS256, PS256 or EdDSA");
  }
  keys.alg = *alg;
  return Status::Ok();
}

// [dpop] (RFC 9449; docs/dpop.md): algorithms, proof age, server nonces. The nonce key comes
// from the environment variable nonce_key_env names, never from the file.
Status ReadDpop(TableReader& r, AuthorizationServerOptions& a) {
  std::vector<std::string> algs;
  ZTA_RETURN_IF_ERROR(r.GetStrings("algorithms", &algs));
  if (!algs.empty()) {
    jose::AlgorithmSet set;
    for (const std::string& name : algs) {
      auto alg = jose::AlgorithmFromName(name);
      if (!alg || !jose::DpopAlgorithms().Contains(*alg)) {
        return InvalidArgument("dpop.algorithms: " + name + " is not an asymmetric JWS algorithm");
      }
      set.Add(*alg);
    }
    a.dpop_algorithms = set;
  }
  ZTA_RETURN_IF_ERROR(r.Get("max_age_seconds", &a.dpop_max_age_seconds));
  if (a.dpop_max_age_seconds < 1 || a.dpop_max_age_seconds > 600) {
    return InvalidArgument("dpop.max_age_seconds must be between 1 and 600");
  }
  ZTA_RETURN_IF_ERROR(r.Get("require_nonce", &a.dpop_require_nonce));
  ZTA_RETURN_IF_ERROR(r.Get("nonce_lifetime_seconds", &a.dpop_nonce_lifetime_seconds));
  if (a.dpop_nonce_lifetime_seconds < 1) {
    return InvalidArgument("dpop.nonce_lifetime_seconds must be at least 1");
  }
  std::string key_env;
  ZTA_RETURN_IF_ERROR(r.Get("nonce_key_env", &key_env));
  if (!key_env.empty()) {
    const char* value = std::getenv(key_env.c_str());
    if (value == nullptr || std::strlen(value) < 32) {
      return InvalidArgument("dpop.nonce_key_env: $" + key_env +
                             " must hold a key of at least 32 bytes");
    }
    a.dpop_nonce_key = Secret(value);
  }
  return Status::Ok();
}

Status ReadIdpServiceConfig(const toml::table& root, IdpServiceOptions* s) {
  TableReader top(root, "");
  ZTA_RETURN_IF_ERROR(ReadSection(root, "server", top, [&](TableReader& r) -> Status {
    ZTA_RETURN_IF_ERROR(ReadListen(r, s->server));
    ZTA_RETURN_IF_ERROR(r.Get("issuer", &s->authorization.issuer));
    ZTA_RETURN_IF_ERROR(r.Get("threads", &s->server.threads));
    ZTA_RETURN_IF_ERROR(r.Get("max_body_bytes", &s->server.max_body_bytes));
    ZTA_RETURN_IF_ERROR(r.Get("max_header_bytes", &s->server.max_header_bytes));
    ZTA_RETURN_IF_ERROR(r.Get("max_connections", &s->server.max_connections));
    ZTA_RETURN_IF_ERROR(r.Get("read_timeout_seconds", &s->server.read_timeout_seconds));
    ZTA_RETURN_IF_ERROR(r.Get("tls_certificate_file", &s->server.tls_certificate_file));
    ZTA_RETURN_IF_ERROR(r.Get("tls_private_key_file", &s->server.tls_private_key_file));
    return Status::Ok();
  }));
  ZTA_RETURN_IF_ERROR(ReadSection(root, "tokens", top, [&](TableReader& r) -> Status {
    ZTA_RETURN_IF_ERROR(r.Get("ttl_seconds", &s->authorization.default_token_ttl_seconds));
    ZTA_RETURN_IF_ERROR(r.Get("max_assertion_lifetime_seconds",
                              &s->authorization.max_assertion_lifetime_seconds));
    ZTA_RETURN_IF_ERROR(
        r.Get("max_actor_chain_depth", &s->authorization.max_actor_chain_depth));
    int depth = s->authorization.max_actor_chain_depth;
    if (depth < 1 || depth > 16) {
      return InvalidArgument("tokens.max_actor_chain_depth must be between 1 and 16");
    }
    return Status::Ok();
  }));
  ZTA_RETURN_IF_ERROR(ReadSection(root, "keys", top, [&](TableReader& r) -> Status {
    ZTA_RETURN_IF_ERROR(ReadKeyAlgorithm(r, s->keys));
    ZTA_RETURN_IF_ERROR(r.Get("rotation_overlap_seconds", &s->keys.rotation_overlap_seconds));
    ZTA_RETURN_IF_ERROR(r.Get("jwks_max_age_seconds", &s->authorization.jwks_max_age_seconds));
    return Status::Ok();
  }));
  ZTA_RETURN_IF_ERROR(ReadSection(root, "dpop", top, [&](TableReader& r) -> Status {
    return ReadDpop(r, s->authorization);
  }));
  // [store] url: a PostgreSQL store shared by several nodes (docs/scale.md). Its password
  // belongs in PGPASSWORD or PGPASSFILE, not in this file. node_id names this node's audit chain.
  ZTA_RETURN_IF_ERROR(ReadSection(root, "store", top, [&](TableReader& r) -> Status {
    ZTA_RETURN_IF_ERROR(r.Get("url", &s->store_url));
    ZTA_RETURN_IF_ERROR(r.Get("node_id", &s->node_id));
    if (!IsValidNodeId(s->node_id)) {
      return InvalidArgument("store.node_id must be 1-64 letters, digits, '.', '-', '_' or ':'");
    }
    if (!s->store_url.empty() && !store::IsPostgresUrl(s->store_url)) {
      return InvalidArgument("store.url must be a postgresql:// URL (the default store is the "
                             "data folder)");
    }
    return Status::Ok();
  }));
  ZTA_RETURN_IF_ERROR(ReadSection(root, "limits", top, [&](TableReader& r) -> Status {
    ZTA_RETURN_IF_ERROR(r.Get("failed_auth_limit", &s->authorization.failed_auth_limit));
    ZTA_RETURN_IF_ERROR(
        r.Get("failed_auth_window_seconds", &s->authorization.failed_auth_window_seconds));
    return Status::Ok();
  }));
  ZTA_RETURN_IF_ERROR(top.Finish());
  if (s->authorization.default_token_ttl_seconds < 1) {
    return InvalidArgument("tokens.ttl_seconds must be at least 1");
  }
  if (s->authorization.failed_auth_limit < 1 || s->authorization.failed_auth_window_seconds < 1) {
    return InvalidArgument("limits.failed_auth_limit and failed_auth_window_seconds must be >= 1");
  }
  if (s->keys.rotation_overlap_seconds < 0) {
    return InvalidArgument("keys.rotation_overlap_seconds must not be negative");
  }
  return Status::Ok();
}

}  // namespace

bool IsValidNodeId(std::string_view id) {
  if (id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::string DefaultNodeId() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) return "node";
  std::string id;
  for (const char* c = host; *c != '\0' && id.size() < 64; ++c) {
    id += IsValidNodeId(std::string_view(c, 1)) ? *c : '-';
  }
  return id.empty() ? "node" : id;
}

Status LoadIdpServiceConfig(const std::string& path, IdpServiceOptions* s) {
  ZTA_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  Status status =
      ParseToml(text, [&](const toml::table& root) { return ReadIdpServiceConfig(root, s); });
  return status.ok() ? status : status.WithContext(path);
}

}  // namespace zta::idp
