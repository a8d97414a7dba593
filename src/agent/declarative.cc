// Declarative agents from TOML (docs/agent.md): the config reader (toml++ throws; caught here),
// the model factory, and HTTP tools with URL templates.
#include "zta/agent/declarative.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "zta/agent/offline_planner.h"
#include "zta/agent/openai_model.h"
#include "zta/agent/reasons.h"
#include "zta/auth/auth_provider.h"
#include "zta/auth/delegation_config.h"
#include "zta/core/toml_reader.h"

namespace zta::agent {
namespace {

Json ToJson(const toml::node& node) {
  if (const toml::table* t = node.as_table()) {
    Json o = Json::object();
    for (const auto& [k, v] : *t) o[std::string(k.str())] = ToJson(v);
    return o;
  }
  if (const toml::array* a = node.as_array()) {
    Json arr = Json::array();
    for (const auto& v : *a) arr.push_back(ToJson(v));
    return arr;
  }
  if (auto s = node.value_exact<std::string>()) return *s;
  if (auto i = node.value_exact<int64_t>()) return *i;
  if (auto d = node.value_exact<double>()) return *d;
  if (auto b = node.value_exact<bool>()) return *b;
  std::ostringstream text;  // dates and times: as their TOML text
  node.visit([&text](const auto& v) {
    if constexpr (toml::is_date<decltype(v)> || toml::is_time<decltype(v)> ||
                  toml::is_date_time<decltype(v)>) {
      text << v;
    }
  });
  return text.str();
}

Status ReadAgent(const toml::table& t, AgentConfig* c) {
  TableReader r(t, "agent.");
  int64_t iterations = c->agent.max_tool_iterations, parallel = c->agent.max_parallel_tools;
  ZTA_RETURN_IF_ERROR(r.GetString("name", &c->agent.name));
  ZTA_RETURN_IF_ERROR(r.GetString("id", &c->agent.id));
  ZTA_RETURN_IF_ERROR(r.GetString("description", &c->agent.description));
  ZTA_RETURN_IF_ERROR(r.GetString("system_prompt", &c->agent.system_prompt));
  ZTA_RETURN_IF_ERROR(r.GetInt("max_tool_iterations", &iterations));
  ZTA_RETURN_IF_ERROR(r.GetInt("max_parallel_tools", &parallel));
  ZTA_RETURN_IF_ERROR(r.GetString("user", &c->user));
  ZTA_RETURN_IF_ERROR(r.GetBool("parallel_tool_calls", &c->agent.parallel_tool_calls));
  ZTA_RETURN_IF_ERROR(r.GetString("tool_choice", &c->agent.tool_choice));
  ZTA_RETURN_IF_ERROR(r.Finish());
  if (iterations < 0 || iterations > 100) {
    return InvalidArgument("agent.max_tool_iterations must be 0..100");
  }
  if (parallel < 1 || parallel > 64)
    return InvalidArgument("agent.max_parallel_tools must be 1..64");
  c->agent.max_tool_iterations = static_cast<int>(iterations);
  c->agent.max_parallel_tools = static_cast<int>(parallel);
  return Status::Ok();
}

Status ReadModel(const toml::table& t, ModelConfig* m) {
  TableReader r(t, "model.");
  std::string deployment;
  ZTA_RETURN_IF_ERROR(r.GetString("provider", &m->provider));
  ZTA_RETURN_IF_ERROR(r.GetString("base_url", &m->base_url));
  ZTA_RETURN_IF_ERROR(r.GetString("model", &m->model));
  ZTA_RETURN_IF_ERROR(r.GetString("deployment", &deployment));
  ZTA_RETURN_IF_ERROR(r.GetString("api_version", &m->api_version));
  ZTA_RETURN_IF_ERROR(r.GetString("api_key_env", &m->api_key_env));
  ZTA_RETURN_IF_ERROR(r.GetBool("stream", &m->stream));
  ZTA_RETURN_IF_ERROR(r.GetInt("timeout_seconds", &m->timeout_seconds));
  ZTA_RETURN_IF_ERROR(r.GetInt("max_attempts", &m->max_attempts));
  ZTA_RETURN_IF_ERROR(r.GetNumber("temperature", &m->temperature));
  ZTA_RETURN_IF_ERROR(r.GetBool("gullible", &m->gullible));
  r.Skip("entra");
  ZTA_RETURN_IF_ERROR(r.Finish());
  if (const toml::node* entra = t.get("entra")) {
    const toml::table* table = entra->as_table();
    if (table == nullptr) return InvalidArgument("[model.entra] must be a table");
    ZTA_ASSIGN_OR_RETURN(m->entra, auth::ReadAuthSettings(*table, "model.entra."));
  }
  if (!deployment.empty()) {
    if (!m->model.empty() && m->model != deployment) {
      return InvalidArgument("model.model and model.deployment differ; give one");
    }
    m->model = deployment;
  }
  return Status::Ok();
}

// auth.approval ("consent" | "backchannel") and auth.binding_message (a template whose
// "{name}" placeholders name parameters, CIBA §7.1) into `requirement`.
Status ReadApproval(const std::string& where, const std::string& approval,
                    const std::string& binding_message, const Json& parameters,
                    ToolRequirement& requirement) {
  if (approval == "backchannel") {
    requirement.approval = auth::Approval::kBackchannel;
  } else if (approval != "consent") {
    return InvalidArgument(where + ".auth.approval must be \"consent\" or \"backchannel\"");
  }
  if (binding_message.empty()) return Status::Ok();
  if (requirement.approval != auth::Approval::kBackchannel) {
    return InvalidArgument(where + ".auth.binding_message needs approval = \"backchannel\"");
  }
  const Json message_template(binding_message);
  const Json* properties = parameters.contains("properties") ? &parameters["properties"] : nullptr;
  for (const auto& name : DetailsTemplatePlaceholders(message_template)) {
    if (properties == nullptr || !properties->is_object() || !properties->contains(name)) {
      return InvalidArgument(where + ".auth.binding_message: {" + name + "} names no parameter");
    }
  }
  requirement.binding_message = [message_template](const Json& args) {
    auto filled = ExpandDetailsTemplate(message_template, args);
    return filled.ok() && filled->is_string() ? filled->get<std::string>() : std::string();
  };
  return Status::Ok();
}

// auth = { resource, scopes, acting, authorization_details } of one tool; `parameters` is the
// tool's argument schema, whose properties the details template may name.
Result<ToolRequirement> ReadToolAuth(const toml::table& t, const std::string& where,
                                     const Json& parameters) {
  TableReader r(t, where + ".auth.");
  ToolRequirement requirement;
  std::string acting = "agent";
  std::string approval = "consent";
  std::string binding_message;
  ZTA_RETURN_IF_ERROR(r.GetString("resource", &requirement.resource));
  ZTA_RETURN_IF_ERROR(r.GetStrings("scopes", &requirement.scopes));
  ZTA_RETURN_IF_ERROR(r.GetString("acting", &acting));
  ZTA_RETURN_IF_ERROR(r.GetString("approval", &approval));
  ZTA_RETURN_IF_ERROR(r.GetString("binding_message", &binding_message));
  r.Skip("authorization_details");
  ZTA_RETURN_IF_ERROR(r.Finish());
  if (const toml::node* node = t.get("authorization_details")) {
    // RFC 9396 §2: an array of objects, each with a string "type".
    const toml::array* entries = node->as_array();
    if (entries == nullptr || entries->empty()) {
      return InvalidArgument(where + ".auth.authorization_details must be a non-empty array of "
                                     "tables");
    }
    for (const auto& entry : *entries) {
      const toml::table* e = entry.as_table();
      if (e == nullptr || !(*e)["type"].is_string()) {
        return InvalidArgument(where + ".auth.authorization_details entries must be tables with "
                                       "a string type");
      }
    }
    Json details_template = ToJson(*node);
    const Json* properties = parameters.contains("properties") ? &parameters["properties"] : nullptr;
    for (const auto& name : DetailsTemplatePlaceholders(details_template)) {
      if (properties == nullptr || !properties->is_object() || !properties->contains(name)) {
        return InvalidArgument(where + ".auth.authorization_details: {" + name +
                               "} names no parameter");
      }
    }
    requirement.authorization_details = [details_template](const Json& args) {
      return ExpandDetailsTemplate(details_template, args);
    };
  }
  if (acting == "agent") {
    requirement.acting = Acting::kAsAgent;
  } else if (acting == "user") {
    requirement.acting = Acting::kOnBehalfOfUser;
  } else {
    return InvalidArgument(where + ".auth.acting must be \"agent\" or \"user\"");
  }
  ZTA_RETURN_IF_ERROR(ReadApproval(where, approval, binding_message, parameters, requirement));
  return requirement;
}

Status ReadTool(const toml::table& t, size_t index, HttpToolConfig* tool) {
  std::string where = "tools[" + std::to_string(index) + "]";
  TableReader r(t, where + ".");
  ZTA_RETURN_IF_ERROR(r.GetString("name", &tool->name));
  ZTA_RETURN_IF_ERROR(r.GetString("description", &tool->description));
  ZTA_RETURN_IF_ERROR(r.GetString("method", &tool->method));
  ZTA_RETURN_IF_ERROR(r.GetString("url", &tool->url));
  ZTA_RETURN_IF_ERROR(r.GetInt("timeout_seconds", &tool->timeout_seconds));
  ZTA_RETURN_IF_ERROR(r.GetBool("requires_approval", &tool->requires_approval));
  ZTA_ASSIGN_OR_RETURN(const toml::table* parameters, r.GetTable("parameters"));
  ZTA_ASSIGN_OR_RETURN(const toml::table* headers, r.GetTable("headers"));
  ZTA_ASSIGN_OR_RETURN(const toml::table* auth, r.GetTable("auth"));
  ZTA_RETURN_IF_ERROR(r.Finish());
  std::transform(tool->method.begin(), tool->method.end(), tool->method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (parameters != nullptr) tool->parameters = ToJson(*parameters);
  if (headers != nullptr) {
    for (const auto& [k, v] : *headers) {
      auto value = v.value_exact<std::string>();
      if (!value) return InvalidArgument(where + ".headers values must be strings");
      tool->headers[std::string(k.str())] = *value;
    }
  }
  if (auth != nullptr) {
    ZTA_ASSIGN_OR_RETURN(tool->auth, ReadToolAuth(*auth, where, tool->parameters));
  }
  return Status::Ok();
}

// The origin (scheme://host:port) must be fixed: a placeholder there would let the model pick
// which server receives the token.
Status CheckUrlTemplate(const std::string& where, const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return InvalidArgument(where + ".url is not absolute");
  size_t authority_end = url.find_first_of("/?#", scheme_end + 3);
  size_t brace = url.find('{');
  if (brace != std::string::npos && (authority_end == std::string::npos || brace < authority_end)) {
    return InvalidArgument(where + ".url: placeholders are allowed only in the path and query");
  }
  // The URL with each placeholder replaced by a sample value, to check it parses.
  std::string sample;
  for (size_t pos = 0;;) {
    size_t open = url.find('{', pos);
    sample.append(url, pos, open == std::string::npos ? std::string::npos : open - pos);
    if (open == std::string::npos) break;
    size_t close = url.find('}', open);
    if (close == std::string::npos) return InvalidArgument(where + ".url has an unclosed {");
    sample.push_back('x');
    pos = close + 1;
  }
  if (!http::ParseUrl(sample).ok()) return InvalidArgument(where + ".url is not an http(s) URL");
  return Status::Ok();
}

// Largest upstream answer passed to the model as is.
constexpr size_t kMaxResultBytes = 16 * 1024;

std::string Truncate(const std::string& text, size_t n) {
  if (text.size() <= n) return text;
  return text.substr(0, n) + "... [truncated, " + std::to_string(text.size()) + " bytes]";
}

std::string ArgText(const Json& v) { return v.is_string() ? v.get<std::string>() : DumpJson(v); }

// The error code in "WWW-Authenticate: Bearer error="insufficient_scope"" (RFC 6750 §3).
std::string BearerError(const http::Response& r) {
  std::string h = r.headers.Get("WWW-Authenticate").value_or("");
  size_t at = h.find("error=\"");
  if (at == std::string::npos) return "";
  size_t start = at + 7, end = h.find('"', start);
  if (end == std::string::npos) return "";
  std::string code = h.substr(start, end - start);
  bool ok = !code.empty() && code.size() < 40 &&
            std::all_of(code.begin(), code.end(),
                        [](unsigned char c) { return std::islower(c) || c == '_'; });
  return ok ? code : "";
}

// The gullible planner is an offline planner mode; a real model cannot be made gullible.
Status CheckGullible(const ModelConfig& model) {
  if (model.gullible && model.provider != "offline") {
    return InvalidArgument("model.gullible = true needs provider = \"offline\" (it is a mode of "
                           "the offline planner), not \"" + model.provider + "\"");
  }
  return Status::Ok();
}

}  // namespace

Status AgentConfig::Validate() const {
  ZTA_RETURN_IF_ERROR(agent.Validate().WithContext("[agent]"));
  if (model.provider != "offline" && model.provider != "openai" && model.provider != "azure") {
    return InvalidArgument("model.provider must be openai, azure or offline");
  }
  ZTA_RETURN_IF_ERROR(CheckGullible(model));
  std::set<std::string> names;
  for (size_t i = 0; i < tools.size(); ++i) {
    const HttpToolConfig& t = tools[i];
    std::string where = "tools[" + std::to_string(i) + "]";
    ZTA_RETURN_IF_ERROR(ValidateToolName(t.name).WithContext(where));
    if (!names.insert(t.name).second) return InvalidArgument("duplicate tool " + t.name);
    static const std::set<std::string> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    if (kMethods.count(t.method) == 0) {
      return InvalidArgument(where + ".method must be GET, POST, PUT, PATCH or DELETE");
    }
    ZTA_RETURN_IF_ERROR(CheckUrlTemplate(where, t.url));
    if (t.parameters.value("type", "") != "object") {
      return InvalidArgument(where + ".parameters must be an object schema (type = \"object\")");
    }
    for (const auto& [k, v] : t.headers) {
      if (http::EqualsIgnoreCase(k, "Authorization")) {
        return InvalidArgument(where + ".headers must not set Authorization");
      }
    }
    if (t.timeout_seconds < 1 || t.timeout_seconds > 600) {
      return InvalidArgument(where + ".timeout_seconds must be 1..600");
    }
    if (t.auth) {
      if (t.auth->resource.empty()) return InvalidArgument(where + ".auth.resource is required");
      if (!identity) {
        return InvalidArgument(where + " needs a token: add an [identity] section");
      }
      // Backchannel approval is the agent's own grant (AuthProvider): no app, no [delegation].
      if (t.auth->acting == Acting::kOnBehalfOfUser &&
          t.auth->approval == auth::Approval::kConsent && !delegation) {
        return InvalidArgument(where + " acts for the user: add a [delegation] section (the "
                                       "app and consent handler, docs/auth.md)");
      }
    }
  }
  return Status::Ok();
}

namespace {

Status ReadAgentConfig(const toml::table& root, AgentConfig* c) {
  TableReader r(root, "(top level).");
  for (const char* section : {"agent", "model", "identity", "delegation", "tools"}) r.Skip(section);
  ZTA_RETURN_IF_ERROR(r.Finish());
  const toml::table* agent = root["agent"].as_table();
  if (agent == nullptr) return InvalidArgument("[agent] is required");
  ZTA_RETURN_IF_ERROR(ReadAgent(*agent, c));
  if (root.contains("model")) {
    const toml::table* model = root["model"].as_table();
    if (model == nullptr) return InvalidArgument("[model] must be a table");
    ZTA_RETURN_IF_ERROR(ReadModel(*model, &c->model));
  }
  if (root.contains("identity")) {
    const toml::table* identity = root["identity"].as_table();
    if (identity == nullptr) return InvalidArgument("[identity] must be a table");
    ZTA_ASSIGN_OR_RETURN(c->identity, auth::ReadAuthSettings(*identity, "identity."));
  }
  if (root.contains("delegation")) {
    const toml::table* delegation = root["delegation"].as_table();
    if (delegation == nullptr) return InvalidArgument("[delegation] must be a table");
    ZTA_ASSIGN_OR_RETURN(c->delegation, auth::ReadDelegationSettings(*delegation, "delegation."));
  }
  if (root.contains("tools")) {
    const toml::array* tools = root["tools"].as_array();
    if (tools == nullptr) return InvalidArgument("tools must be an array of tables [[tools]]");
    for (size_t i = 0; i < tools->size(); ++i) {
      const toml::table* t = (*tools)[i].as_table();
      if (t == nullptr) return InvalidArgument("tools must be an array of tables [[tools]]");
      HttpToolConfig tool;
      ZTA_RETURN_IF_ERROR(ReadTool(*t, i, &tool));
      c->tools.push_back(std::move(tool));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<AgentConfig> ParseAgentConfig(std::string_view toml_text) {
  AgentConfig c;
  ZTA_RETURN_IF_ERROR(
      ParseToml(toml_text, [&](const toml::table& root) { return ReadAgentConfig(root, &c); }));
  ZTA_RETURN_IF_ERROR(c.Validate());
  return c;
}

Result<AgentConfig> LoadAgentConfig(const std::string& path) {
  ZTA_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  auto config = ParseAgentConfig(text);
  if (!config.ok()) return config.status().WithContext(path);
  return config;
}

Status ApplyModelEnvironment(ModelConfig& config,
                             const std::function<const char*(const char*)>& getenv) {
  auto get = [&getenv](const char* name) -> std::string {
    const char* value = getenv ? getenv(name) : std::getenv(name);
    return value != nullptr ? std::string(value) : std::string();
  };
  if (std::string provider = get("ZTA_MODEL_PROVIDER"); !provider.empty()) {
    if (provider != "openai" && provider != "azure" && provider != "offline") {
      return InvalidArgument("ZTA_MODEL_PROVIDER must be openai, azure or offline");
    }
    config.provider = provider;
  }
  if (std::string url = get("ZTA_MODEL_BASE_URL"); !url.empty()) {
    config.base_url = url;
    if (config.provider == "offline") config.provider = "openai";
  }
  if (std::string model = get("ZTA_MODEL"); !model.empty()) config.model = model;
  if (std::string version = get("ZTA_MODEL_API_VERSION"); !version.empty()) {
    config.api_version = version;
  }
  if (std::string key_env = get("ZTA_MODEL_API_KEY_ENV"); !key_env.empty()) {
    config.api_key_env = key_env;
  }
  if (std::string gullible = get("ZTA_MODEL_GULLIBLE"); !gullible.empty()) {
    if (gullible != "1" && gullible != "true" && gullible != "0" && gullible != "false") {
      return InvalidArgument("ZTA_MODEL_GULLIBLE must be 1, true, 0 or false");
    }
    config.gullible = gullible == "1" || gullible == "true";
  }
  return Status::Ok();
}

// An Azure OpenAI model together with the Entra token source it borrows (declared first, so it
// is destroyed after the model).
class EntraAuthorizedModel final : public ChatModel {
 public:
  EntraAuthorizedModel(std::unique_ptr<auth::AuthProvider> tokens,
                       std::unique_ptr<OpenAiChatModel> model)
      : tokens_(std::move(tokens)), model_(std::move(model)) {}
  Result<ChatResponse> Complete(const ChatRequest& request) override {
    return model_->Complete(request);
  }
  std::string Describe() const override { return model_->Describe() + " (Entra ID token)"; }

 private:
  std::unique_ptr<auth::AuthProvider> tokens_;
  std::unique_ptr<OpenAiChatModel> model_;
};

Result<std::unique_ptr<ChatModel>> MakeChatModel(
    const ModelConfig& config, std::string* api_key,
    std::function<void(std::string_view)> on_text_delta) {
  ZTA_RETURN_IF_ERROR(CheckGullible(config));
  if (config.provider == "offline") {
    return std::unique_ptr<ChatModel>(
        std::make_unique<OfflinePlanner>(OfflinePlannerOptions{.gullible = config.gullible}));
  }
  OpenAiOptions o;
  o.provider = config.provider == "azure" ? ModelProvider::kAzure : ModelProvider::kOpenAi;
  if (config.provider != "openai" && config.provider != "azure") {
    return InvalidArgument("model.provider must be openai, azure or offline");
  }
  o.base_url = config.base_url;
  o.model = config.model;
  o.api_version = config.api_version;
  o.stream = config.stream;
  if (config.stream) o.on_text_delta = std::move(on_text_delta);
  o.timeout = std::chrono::seconds(config.timeout_seconds);
  o.max_attempts = static_cast<int>(config.max_attempts);
  std::unique_ptr<auth::AuthProvider> entra;
  if (config.entra) {
    if (config.provider != "azure") {
      return InvalidArgument("[model.entra] needs provider = \"azure\"");
    }
    if (!config.api_key_env.empty()) {
      return InvalidArgument("give one of model.api_key_env and [model.entra]");
    }
    auto entra_options = auth::ResolveAuthSettings(*config.entra);
    if (!entra_options.ok()) return entra_options.status().WithContext("[model.entra]");
    if (entra_options->default_resource.empty()) {
      entra_options->default_resource = o.token_resource;
    }
    o.token_resource = entra_options->default_resource;
    // Entra v2.0 names the audience by the scope and refuses RFC 8707's resource parameter.
    entra_options->send_resource_indicator = false;
    if (api_key != nullptr) *api_key = entra_options->client_secret.Reveal();
    auto created =
        auth::AuthProvider::Create(std::move(entra_options).value(), SystemClock::Instance());
    if (!created.ok()) return created.status().WithContext("[model.entra]");
    entra = std::move(created).value();
    o.token_source = entra.get();
  }
  if (!config.api_key_env.empty()) {
    const char* key = std::getenv(config.api_key_env.c_str());
    if (key == nullptr || *key == '\0') {
      return InvalidArgument("environment variable " + config.api_key_env +
                             " (model.api_key_env) is not set");
    }
    o.api_key = Secret(key);
    if (api_key != nullptr) *api_key = key;
  }
  ZTA_ASSIGN_OR_RETURN(auto model, OpenAiChatModel::Create(std::move(o)));
  if (entra) {
    return std::unique_ptr<ChatModel>(new EntraAuthorizedModel(std::move(entra), std::move(model)));
  }
  return std::unique_ptr<ChatModel>(std::move(model));
}

namespace {

// RFC 3986 §3.3 / §5.2.4: a segment "." or ".." (also written "%2E", §2.3 and §6.2.2.2) is removed
// by dot-segment removal, in clients (libcurl) and servers alike.
bool IsDotSegment(std::string_view segment) {
  size_t dots = 0;
  for (size_t i = 0; i < segment.size(); ++dots) {
    if (segment[i] == '.') {
      ++i;
    } else if (segment.size() - i >= 3 && segment[i] == '%' && segment[i + 1] == '2' &&
               (segment[i + 2] == 'e' || segment[i + 2] == 'E')) {
      i += 3;
    } else {
      return false;
    }
  }
  return dots == 1 || dots == 2;
}

}  // namespace

Result<std::string> ExpandUrlTemplate(const std::string& url_template, const Json& args,
                                      std::vector<std::string>* used) {
  std::string out;
  // Which placeholder each byte of `out` came from (-1: the template), and where each one went,
  // so that the path segments an argument helped make can be checked below.
  std::vector<int> slot_of;
  struct Slot {
    std::string name;
    size_t begin, end;  // its value in `out`
  };
  std::vector<Slot> slots;
  size_t pos = 0;
  while (pos < url_template.size()) {
    size_t open = url_template.find('{', pos);
    if (open == std::string::npos) {
      out.append(url_template, pos, std::string::npos);
      break;
    }
    size_t close = url_template.find('}', open);
    if (close == std::string::npos) return InvalidArgument("URL template has an unclosed {");
    out.append(url_template, pos, open - pos);
    std::string name = url_template.substr(open + 1, close - open - 1);
    auto it = args.find(name);
    if (it == args.end() || it->is_null()) {
      return Status(StatusCode::kInvalidArgument, "$." + name + ": is required for the URL",
                    kReasonInvalidArguments);
    }
    if (it->is_object() || it->is_array()) {
      return Status(StatusCode::kInvalidArgument, "$." + name + ": must be a single value",
                    kReasonInvalidArguments);
    }
    slot_of.resize(out.size(), -1);
    size_t begin = out.size();
    // Every reserved character is encoded, so "../" or "?x=" in a value stays inside its slot.
    out += http::PercentEncode(ArgText(*it));
    slots.push_back({name, begin, out.size()});
    slot_of.resize(out.size(), static_cast<int>(slots.size() - 1));
    if (used != nullptr) used->push_back(name);
    pos = close + 1;
  }
  slot_of.resize(out.size(), -1);

  // The path: after the authority, up to the query or fragment. Encoded values hold no '/', '?'
  // or '#', so the template alone draws these borders.
  size_t scheme_end = out.find("://");
  size_t path_begin =
      scheme_end == std::string::npos ? 0 : out.find_first_of("/?#", scheme_end + 3);
  if (path_begin == std::string::npos) path_begin = out.size();
  size_t path_end = std::min(out.find_first_of("?#", path_begin), out.size());
  // An empty value makes "//" or drops the segment it names (".../items/" instead of one item);
  // many servers collapse "//", so the request would reach another resource.
  for (const Slot& slot : slots) {
    if (slot.begin == slot.end && slot.begin >= path_begin && slot.begin <= path_end) {
      return Status(StatusCode::kInvalidArgument,
                    "$." + slot.name + ": must not be empty in the URL path",
                    kReasonInvalidArguments);
    }
  }
  // "." and ".." are unreserved and so not encoded; as a whole segment, alone or joined with the
  // template text or another value around them, they would move the call up the path (with the
  // agent's token). Query values are not path segments and may be anything.
  for (size_t begin = path_begin; begin < path_end;) {
    size_t end = std::min(out.find('/', begin + 1), path_end);
    size_t from = out[begin] == '/' ? begin + 1 : begin;
    auto owner = std::find_if(slot_of.begin() + from, slot_of.begin() + end,
                              [](int slot) { return slot >= 0; });
    if (owner != slot_of.begin() + end &&
        IsDotSegment(std::string_view(out).substr(from, end - from))) {
      return Status(StatusCode::kInvalidArgument,
                    "$." + slots[*owner].name + ": must not make the URL path segment \"" +
                        out.substr(from, end - from) + "\"",
                    kReasonInvalidArguments);
    }
    begin = end;
  }
  return out;
}

Result<std::shared_ptr<Tool>> MakeHttpTool(const HttpToolConfig& config,
                                           auth::TokenSource* tokens) {
  ToolHandler handler = [config](const Json& args, ToolContext& ctx) -> Result<Json> {
    std::vector<std::string> used;
    ZTA_ASSIGN_OR_RETURN(std::string url, ExpandUrlTemplate(config.url, args, &used));
    Json rest = Json::object();
    for (auto it = args.begin(); it != args.end(); ++it) {
      if (std::find(used.begin(), used.end(), it.key()) == used.end() && !it->is_null()) {
        rest[it.key()] = it.value();
      }
    }
    http::ClientRequest req;
    req.method = config.method;
    req.timeout = std::chrono::seconds(config.timeout_seconds);
    for (const auto& [k, v] : config.headers) req.headers.Set(k, v);
    req.headers.Set("Accept", "application/json");
    if (config.method == "GET" || config.method == "DELETE") {
      std::string query;
      for (auto it = rest.begin(); it != rest.end(); ++it) {
        query += (query.empty() ? "" : "&") + http::PercentEncode(it.key()) + "=" +
                 http::PercentEncode(ArgText(it.value()));
      }
      if (!query.empty()) url += (url.find('?') == std::string::npos ? "?" : "&") + query;
    } else {
      req.headers.Set("Content-Type", "application/json");
      req.body = DumpJson(rest);
    }
    req.url = url;
    auto response = ctx.Send(req);
    if (!response.ok()) {
      return Status(
          StatusCode::kUnavailable,
          "could not reach the API (" + std::string(StatusCodeName(response.status().code())) + ")",
          kReasonUpstreamUnreachable);
    }
    if (response->status == 401 || response->status == 403) {
      std::string code = BearerError(*response);
      return Status(
          response->status == 401 ? StatusCode::kUnauthenticated : StatusCode::kPermissionDenied,
          "the API refused the call (HTTP " + std::to_string(response->status) +
              (code.empty() ? "" : " " + code) + ")",
          code.empty() ? kUpstreamStatusPrefix + std::to_string(response->status) : code);
    }
    const std::string& body = response->body;
    if (response->status < 200 || response->status > 299) {
      return Status(StatusCode::kFailedPrecondition,
                    "the API answered HTTP " + std::to_string(response->status) +
                        (body.empty() ? "" : ": " + Truncate(body, 500)),
                    kUpstreamStatusPrefix + std::to_string(response->status));
    }
    // Everything returned enters the model's context window: a huge answer is cut (as text, since
    // cut JSON is no longer JSON) rather than crowding out the conversation.
    if (body.size() > kMaxResultBytes) return Json(Truncate(body, kMaxResultBytes));
    JsonLimits limits;
    limits.max_depth = 64;
    auto json = ParseJsonStrict(body, limits);
    if (json.ok()) return std::move(json).value();
    return Json(body);
  };
  if (!config.auth) {
    ZTA_ASSIGN_OR_RETURN(auto tool, FunctionTool::Create(config.name, config.description,
                                                         config.parameters, handler));
    tool->set_requires_approval(config.requires_approval);
    return std::shared_ptr<Tool>(std::move(tool));
  }
  if (tokens == nullptr) {
    return FailedPrecondition("tool " + config.name + " needs a token source");
  }
  ZTA_ASSIGN_OR_RETURN(
      auto tool, SecureFunctionTool::Create(config.name, config.description, config.parameters,
                                            *config.auth, *tokens, handler));
  tool->set_requires_approval(config.requires_approval);
  return std::shared_ptr<Tool>(std::move(tool));
}

}  // namespace zta::agent
