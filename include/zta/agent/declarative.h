// Declarative agents: an agent, its model and its HTTP tools described in a TOML file
// (docs/agent.md), so anyone can give an HTTP API to a zero-trust agent without writing C++.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zta/agent/assistant_agent.h"
#include "zta/agent/chat_model.h"
#include "zta/agent/tool.h"
#include "zta/auth/auth_config.h"
#include "zta/auth/delegation_config.h"
#include "zta/auth/token_source.h"
#include "zta/core/json.h"
#include "zta/core/status.h"

namespace zta::agent {

// [model]
struct ModelConfig {
  // "openai" (any OpenAI-compatible server: OpenAI, llama-server, Ollama), "azure", or "offline"
  // (the rule-based planner, not an LLM). Default: "offline" (also when [model] is absent).
  std::string provider = "offline";
  // See OpenAiOptions::base_url. REQUIRED for openai and azure.
  std::string base_url;
  // Model name, or the Azure deployment. REQUIRED for openai and azure. ("deployment" is accepted
  // as a synonym for azure.)
  std::string model;
  // Azure deployments path: e.g. "2024-10-21". Default: empty (the v1 path).
  std::string api_version;
  // Name of the environment variable holding the API key — never the key itself. Optional.
  std::string api_key_env;
  // Stream the reply (SSE). Default: false.
  bool stream = false;
  // Per-request timeout, seconds. Default: 120.
  int64_t timeout_seconds = 120;
  // Attempts on 429/5xx/unreachable. Default: 3.
  int64_t max_attempts = 3;
  std::optional<double> temperature;  // Default: the server's.
  // provider = "offline" only: the gullible planner (OfflinePlannerOptions::gullible), which obeys
  // instructions planted in tool results, to demonstrate that zta's token checks stop a model
  // talked into an attack. Never for production. Any other provider with it is a configuration
  // error. Default: false.
  bool gullible = false;
  // [model.entra]: Azure OpenAI with a Microsoft Entra ID bearer token instead of an api-key,
  // obtained with client_credentials by an auth::AuthProvider. Keys as in docs/auth.md (issuer,
  // token_endpoint, client_id, client_secret_env | client_secret_file | private_key_file, ...);
  // "resource" is the token's audience (default https://cognitiveservices.azure.com, asked for
  // as the scope "<resource>/.default"). The secret is read by MakeChatModel. Default: absent.
  // Only with provider = "azure"; not together with api_key_env.
  std::optional<auth::AuthSettings> entra;
};

// One [[tools]] entry: an HTTP endpoint the agent may call.
struct HttpToolConfig {
  std::string name;         // REQUIRED: tool name the model sees
  std::string description;  // for the model
  // HTTP method. Default: "GET".
  std::string method = "GET";
  // URL template; "{param}" is replaced by the percent-encoded argument (see ExpandUrlTemplate
  // for what a path argument may not be). Placeholders are allowed in the path and query only,
  // never in scheme, host or port (a model must not choose where a token goes). REQUIRED.
  std::string url;
  // JSON Schema of the arguments (an object schema). Default: no arguments.
  Json parameters = {{"type", "object"}, {"properties", Json::object()}};
  // Static request headers. Must not include Authorization (the token is attached for you).
  std::map<std::string, std::string> headers;
  // Per-call timeout, seconds. Default: 10.
  int64_t timeout_seconds = 10;
  // A person must approve each call (the CLI asks on the terminal). Default: false.
  bool requires_approval = false;
  // auth = { resource, scopes, acting = "agent" (default) | "user", authorization_details =
  // [{ type = "hotel_booking", hotel_id = "{hotel_id}", ... }] }: present → a SecureFunctionTool
  // needing this token; absent → a FunctionTool, no token. authorization_details (RFC 9396) is
  // filled from each call's arguments (ExpandDetailsTemplate); every placeholder must name a
  // parameter. Default: absent.
  std::optional<ToolRequirement> auth;
};

// The whole file.
struct AgentConfig {
  AgentOptions agent;  // [agent]: name, id, description, system_prompt, limits
  std::string user;    // [agent] user: the conversation's user. Default: empty.
  ModelConfig model;   // [model]
  // [identity]: the agent's OAuth client (docs/auth.md keys: issuer, client_id,
  // client_secret_env | client_secret_file | private_key_file, auth_method, token_endpoint, ...),
  // checked at load; auth::ResolveAuthSettings reads its secret. Default: absent.
  std::optional<auth::AuthSettings> identity;
  // [delegation]: the app the agent acts for users through, and the consent handler (docs/auth.md
  // "[delegation]" keys: app_client_id, app_client_secret_env, consent = "loopback" | "none",
  // ...); REQUIRED when a tool has acting = "user". The runner builds an
  // auth::DelegatedTokenSource over the [identity] provider. Default: absent.
  std::optional<auth::DelegationSettings> delegation;
  std::vector<HttpToolConfig> tools;  // [[tools]]

  // Tools with auth need an [identity], tools acting for the user a [delegation]; names unique;
  // URL templates safe.
  Status Validate() const;
};

Result<AgentConfig> ParseAgentConfig(std::string_view toml_text);
Result<AgentConfig> LoadAgentConfig(const std::string& path);

// Environment overrides of a ModelConfig, so a container or an embedded agent can pick its model
// without a file (and a file's model can be swapped without editing it):
//   ZTA_MODEL_PROVIDER     provider: openai | azure | offline
//   ZTA_MODEL_BASE_URL     base_url (selects openai when the provider is still offline)
//   ZTA_MODEL              model, or the Azure deployment
//   ZTA_MODEL_API_VERSION  api_version (Azure deployments URL)
//   ZTA_MODEL_API_KEY_ENV  api_key_env: the NAME of the variable holding the key
//   ZTA_MODEL_GULLIBLE     gullible: 1 or true sets it, 0 or false clears it
// Unset or empty variables leave the value as it is. Precedence in `zta agent run`: the file,
// then these, then --llm-url / --model. `getenv` is injected for tests; default std::getenv.
// Errors: kInvalidArgument for an unknown provider or a ZTA_MODEL_GULLIBLE other than 1/true/0/false.
Status ApplyModelEnvironment(ModelConfig& config,
                             const std::function<const char*(const char*)>& getenv = {});

// The configured model: OfflinePlanner (gullible with `gullible`), or OpenAiChatModel with the key read from api_key_env
// (or, with [model.entra], an Entra token source it owns). `api_key` (optional) receives the key
// or the Entra client secret, so the caller can register it for scrubbing. With
// `stream`, `on_text_delta` (optional) sees the reply's text as it arrives.
Result<std::unique_ptr<ChatModel>> MakeChatModel(
    const ModelConfig& config, std::string* api_key = nullptr,
    std::function<void(std::string_view)> on_text_delta = {});

// Replaces each {name} in `url_template` with the percent-encoded argument (strings as is,
// numbers and booleans as JSON text; every character but A-Z a-z 0-9 - . _ ~ is encoded, so a
// value never adds a '/', '?' or '#'). `used` gets the names consumed. Errors (kInvalidArgument,
// reason "invalid_arguments"): a missing or null argument, an object or array, and in the path
// (before '?' or '#') an empty value, or one that makes a segment "." or ".." (also spelled
// with %2E) alone or together with the template text and other values in that segment, e.g.
// "{a}{b}" with a = b = "." (RFC 3986 §5.2.4 would remove the segment and send the call, token
// included, to another resource). "x{a}" with a = ".." and "..." are ordinary segments; query
// values are not checked.
Result<std::string> ExpandUrlTemplate(const std::string& url_template, const Json& args,
                                      std::vector<std::string>* used = nullptr);

// Fills an authorization_details template (a tool's auth.authorization_details, RFC 9396) from
// the call's arguments: a string that is exactly "{name}" becomes the argument's JSON value (a
// number stays a number: max_total = "{max_total}" → 240); "{name}" inside other text becomes the
// argument's text (strings as they are, numbers and booleans in JSON form); other values are
// copied. Names are [A-Za-z0-9_]+; other braces are literal. A missing or null argument, or an
// object or array inside text, is an error (the tool answers invalid_arguments).
Result<Json> ExpandDetailsTemplate(const Json& details_template, const Json& args);
// The argument names a template's placeholders use.
std::vector<std::string> DetailsTemplatePlaceholders(const Json& details_template);

// A tool calling the configured endpoint: a SecureFunctionTool when the config has auth (then
// `tokens` is REQUIRED and must outlive the tool), else a FunctionTool. Arguments not used by
// the URL go in the query string (GET, DELETE, HEAD) or a JSON body (other methods). The
// upstream's 401/403 becomes a denial; other non-2xx an error; a 2xx body is the result.
Result<std::shared_ptr<Tool>> MakeHttpTool(const HttpToolConfig& config, auth::TokenSource* tokens);

}  // namespace zta::agent
