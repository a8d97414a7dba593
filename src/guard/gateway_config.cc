// The gateway's TOML configuration (docs/gateway.md). toml++ throws; it is caught here, at the
// boundary, and every problem becomes one InvalidArgument naming the key.
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>

#include "zta/core/toml_reader.h"
#include "zta/guard/gateway.h"
#include "zta/http/protocol.h"

namespace zta::guard {
namespace {

using zta::TableReader;

Result<Secret> SecretFromEnv(const std::string& variable, const std::string& what) {
  if (variable.empty()) return InvalidArgument(what + ": client_secret_env is required");
  const char* value = std::getenv(variable.c_str());
  if (value == nullptr || *value == '\0') {
    return InvalidArgument(what + ": environment variable " + variable + " is not set");
  }
  return Secret(value);
}

Status ReadIssuer(const toml::table& table, size_t index, TrustedIssuer* t) {
  TableReader r(table, "issuer[" + std::to_string(index) + "].");
  std::string algorithms;
  std::vector<std::string> algorithm_list;
  ZTA_RETURN_IF_ERROR(r.Get("issuer", &t->issuer));
  ZTA_RETURN_IF_ERROR(r.Get("jwks_uri", &t->jwks_uri));
  ZTA_RETURN_IF_ERROR(r.GetList("algorithms", &algorithm_list));
  ZTA_RETURN_IF_ERROR(r.Get("audience", &t->audience));
  ZTA_RETURN_IF_ERROR(r.GetList("scope_claims", &t->scope_claims));
  ZTA_RETURN_IF_ERROR(r.Get("typ", &t->required_typ));
  ZTA_RETURN_IF_ERROR(r.Get("subject_claim", &t->subject_claim));
  ZTA_RETURN_IF_ERROR(r.Get("leeway_seconds", &t->leeway_seconds));
  ZTA_RETURN_IF_ERROR(r.Get("max_lifetime_seconds", &t->max_lifetime_seconds));
  ZTA_RETURN_IF_ERROR(r.Get("jwks_min_refresh_seconds", &t->jwks.min_refresh_seconds));
  ZTA_RETURN_IF_ERROR(r.Get("jwks_max_refresh_seconds", &t->jwks.max_refresh_seconds));
  ZTA_RETURN_IF_ERROR(
      r.Get("unknown_kid_refetch_interval_seconds", &t->jwks.unknown_kid_refetch_interval_seconds));
  ZTA_RETURN_IF_ERROR(r.Get("max_staleness_seconds", &t->jwks.max_staleness_seconds));
  std::string dpop;
  ZTA_RETURN_IF_ERROR(r.Get("dpop", &dpop));
  if (!dpop.empty()) {
    auto policy = ParseDpopPolicy(dpop);
    if (!policy.ok()) return policy.status().WithContext("issuer " + t->issuer);
    t->dpop = *policy;
  }
  if (!algorithm_list.empty()) {
    std::string joined;
    for (const auto& a : algorithm_list) joined += a + ",";
    auto set = jose::AlgorithmSet::Parse(joined.substr(0, joined.size() - 1));
    if (!set.ok()) return set.status().WithContext("issuer " + t->issuer + " algorithms");
    t->allowed_algorithms = *set;
  }
  r.Skip("introspection");
  if (const toml::table* intro = table["introspection"].as_table()) {
    TableReader ir(*intro, "issuer[" + std::to_string(index) + "].introspection.");
    IntrospectionOptions io;
    std::string secret_env;
    int64_t timeout_ms = io.timeout.count();
    ZTA_RETURN_IF_ERROR(ir.Get("endpoint", &io.endpoint));
    ZTA_RETURN_IF_ERROR(ir.Get("client_id", &io.client_id));
    ZTA_RETURN_IF_ERROR(ir.Get("client_secret_env", &secret_env));
    ZTA_RETURN_IF_ERROR(ir.Get("cache_seconds", &io.cache_seconds));
    ZTA_RETURN_IF_ERROR(ir.Get("timeout_ms", &timeout_ms));
    ZTA_RETURN_IF_ERROR(ir.Finish());
    ZTA_ASSIGN_OR_RETURN(io.client_secret, SecretFromEnv(secret_env, "introspection"));
    io.timeout = std::chrono::milliseconds(timeout_ms);
    t->introspection = std::move(io);
  }
  return r.Finish();
}

// `actors` = "any" | "none" | [["booking-agent", "guest-assistant"], ...] (guard::ActorPolicy).
Status ReadActors(const toml::table& table, const std::string& where, ActorPolicy* out) {
  const toml::node* node = table.get("actors");
  if (node == nullptr) return Status::Ok();
  Json value;
  if (auto word = node->value<std::string>()) {
    value = *word;
  } else if (const toml::array* chains = node->as_array()) {
    value = Json::array();
    for (const auto& chain : *chains) {
      const toml::array* ids = chain.as_array();
      if (ids == nullptr) return InvalidArgument(where + "actors: each chain is an array");
      Json list = Json::array();
      for (const auto& id : *ids) {
        auto text = id.value<std::string>();
        if (!text) return InvalidArgument(where + "actors: actor ids are strings");
        list.push_back(*text);
      }
      value.push_back(std::move(list));
    }
  } else {
    return InvalidArgument(where + "actors must be \"any\", \"none\" or an array of chains");
  }
  auto policy = ActorPolicyFromJson(value);
  if (!policy.ok()) return InvalidArgument(where + policy.status().message());
  *out = std::move(*policy);
  return Status::Ok();
}

Status ReadRoute(const toml::table& table, size_t index, Route* route) {
  TableReader r(table, "route[" + std::to_string(index) + "].");
  r.Skip("actors");
  ZTA_RETURN_IF_ERROR(ReadActors(table, "route[" + std::to_string(index) + "].", &route->actors));
  ZTA_RETURN_IF_ERROR(r.Get("method", &route->method));
  ZTA_RETURN_IF_ERROR(r.Get("path", &route->path));
  ZTA_RETURN_IF_ERROR(r.GetList("scopes", &route->scopes));
  ZTA_RETURN_IF_ERROR(r.Get("introspect", &route->introspect));
  ZTA_RETURN_IF_ERROR(r.Get("upstream", &route->upstream));
  ZTA_RETURN_IF_ERROR(r.Get("case_sensitive", &route->case_sensitive));
  ZTA_RETURN_IF_ERROR(r.Get("acting", &route->acting));
  std::string dpop;
  ZTA_RETURN_IF_ERROR(r.Get("dpop", &dpop));
  if (!dpop.empty()) {
    auto policy = ParseDpopPolicy(dpop);
    if (!policy.ok()) return policy.status().WithContext("route[" + std::to_string(index) + "]");
    route->dpop = *policy;
  }
  int64_t timeout_ms = 0;
  ZTA_RETURN_IF_ERROR(r.Get("upstream_timeout_ms", &timeout_ms));
  route->upstream_timeout = std::chrono::milliseconds(timeout_ms);
  for (auto& c : route->method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return r.Finish();
}

// [dpop] (docs/gateway.md, "DPoP"): nonces, the replay cache, the proof window. The nonce key
// comes from the environment variable nonce_key_env names.
Status ReadDpop(const toml::table& table, ValidatorOptions* v) {
  TableReader r(table, "dpop.");
  int64_t entries = static_cast<int64_t>(v->dpop_replay_cache_entries);
  std::string key_env;
  ZTA_RETURN_IF_ERROR(r.Get("require_nonce", &v->dpop_require_nonce));
  ZTA_RETURN_IF_ERROR(r.Get("replay_cache_entries", &entries));
  ZTA_RETURN_IF_ERROR(r.Get("max_age_seconds", &v->dpop_max_age_seconds));
  ZTA_RETURN_IF_ERROR(r.Get("nonce_key_env", &key_env));
  ZTA_RETURN_IF_ERROR(r.Finish());
  if (entries < 1) return InvalidArgument("dpop.replay_cache_entries must be at least 1");
  v->dpop_replay_cache_entries = static_cast<size_t>(entries);
  if (!key_env.empty()) {
    const char* value = std::getenv(key_env.c_str());
    if (value == nullptr) return InvalidArgument("dpop.nonce_key_env: $" + key_env + " is not set");
    v->dpop_nonce_key = Secret(value);
  }
  return Status::Ok();
}

Status ReadGateway(const toml::table& root, GatewayOptions* o) {
  TableReader r(root, "");
  std::string listen;
  std::string metrics_listen;
  int64_t timeout_ms = o->upstream_timeout.count();
  ZTA_RETURN_IF_ERROR(r.Get("listen", &listen));
  ZTA_RETURN_IF_ERROR(r.Get("metrics_listen", &metrics_listen));
  ZTA_RETURN_IF_ERROR(r.Get("upstream", &o->upstream));
  ZTA_RETURN_IF_ERROR(r.Get("audience", &o->validator.audience));
  ZTA_RETURN_IF_ERROR(r.Get("realm", &o->validator.realm));
  ZTA_RETURN_IF_ERROR(r.Get("resource_metadata_url", &o->validator.resource_metadata_url));
  ZTA_RETURN_IF_ERROR(r.Get("public_url", &o->validator.public_base_url));
  ZTA_RETURN_IF_ERROR(r.GetList("scopes_supported", &o->validator.scopes_supported));
  ZTA_RETURN_IF_ERROR(r.Get("forward_authorization", &o->forward_authorization));
  ZTA_RETURN_IF_ERROR(r.Get("threads", &o->threads));
  ZTA_RETURN_IF_ERROR(r.Get("max_body_bytes", &o->max_body_bytes));
  ZTA_RETURN_IF_ERROR(r.Get("max_upstream_in_flight", &o->max_upstream_in_flight));
  ZTA_RETURN_IF_ERROR(r.Get("upstream_timeout_ms", &timeout_ms));
  o->upstream_timeout = std::chrono::milliseconds(timeout_ms);
  if (!listen.empty()) ZTA_RETURN_IF_ERROR(ParseHostPort(listen, &o->listen_host, &o->listen_port));
  if (root.contains("metrics_listen")) {  // "" too: omit the key to have none
    ZTA_RETURN_IF_ERROR(
        ParseMetricsListen(metrics_listen, &o->metrics_listen_host, &o->metrics_listen_port));
  }
  r.Skip("issuer");
  r.Skip("dpop");
  if (const toml::node* node = root.get("dpop")) {
    const toml::table* table = node->as_table();
    if (table == nullptr) return InvalidArgument("dpop must be a table ([dpop])");
    ZTA_RETURN_IF_ERROR(ReadDpop(*table, &o->validator));
  }
  r.Skip("route");
  if (const toml::array* issuers = root["issuer"].as_array()) {
    size_t i = 0;
    for (const auto& node : *issuers) {
      const toml::table* t = node.as_table();
      if (t == nullptr) return InvalidArgument("issuer must be an array of tables ([[issuer]])");
      TrustedIssuer issuer;
      ZTA_RETURN_IF_ERROR(ReadIssuer(*t, i++, &issuer));
      o->validator.issuers.push_back(std::move(issuer));
    }
  } else if (root.contains("issuer")) {
    return InvalidArgument("issuer must be an array of tables ([[issuer]])");
  }
  if (const toml::array* routes = root["route"].as_array()) {
    size_t i = 0;
    for (const auto& node : *routes) {
      const toml::table* t = node.as_table();
      if (t == nullptr) return InvalidArgument("route must be an array of tables ([[route]])");
      Route route;
      ZTA_RETURN_IF_ERROR(ReadRoute(*t, i++, &route));
      o->routes.push_back(std::move(route));
    }
  } else if (root.contains("route")) {
    return InvalidArgument("route must be an array of tables ([[route]])");
  }
  return r.Finish();
}

}  // namespace

Status ParseHostPort(std::string_view text, std::string* host, int* port) {
  auto parsed = http::ParseHostPort(text);
  if (!parsed.ok()) return parsed.status().WithContext("listen");
  *host = std::move(parsed->host);
  *port = parsed->port;
  return Status::Ok();
}

Status ParseMetricsListen(std::string_view text, std::string* host, int* port) {
  auto parsed = http::ParseHostPort(text);
  if (!parsed.ok()) return parsed.status().WithContext("metrics_listen");
  *host = std::move(parsed->host);
  *port = parsed->port;
  return Status::Ok();
}

Result<GatewayOptions> ParseGatewayConfig(std::string_view toml_text) {
  GatewayOptions options;
  ZTA_RETURN_IF_ERROR(
      ParseToml(toml_text, [&](const toml::table& root) { return ReadGateway(root, &options); }));
  return options;
}

Result<GatewayOptions> LoadGatewayConfig(const std::string& path) {
  ZTA_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  auto options = ParseGatewayConfig(text);
  if (!options.ok()) return options.status().WithContext(path);
  return options;
}

}  // namespace zta::guard
