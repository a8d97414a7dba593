// Reading deployment.toml (deployment.h).
#include "hotel/deployment.h"

#include <cstdlib>
#include <sstream>
#include <toml++/toml.hpp>

#include "zta/core/toml_reader.h"

namespace zta::hotel {
namespace {

Status ReadPort(TableReader& r, const char* key, int* port) {
  int64_t value = *port;
  ZTA_RETURN_IF_ERROR(r.GetInt(key, &value));
  if (value < 0 || value > 65535) {
    return InvalidArgument(std::string("ports.") + key + " must be 0..65535 (0: a free port)");
  }
  *port = static_cast<int>(value);
  return Status::Ok();
}

// [model] is read by the agent file reader itself (docs/agent.md), so its keys and checks are
// exactly an agent file's.
Result<agent::ModelConfig> ReadModel(const toml::table& model) {
  std::ostringstream text;
  toml::table wrapper;
  wrapper.insert("agent", toml::table{{"name", "deployment"}});
  wrapper.insert("model", model);
  text << toml::toml_formatter(wrapper);
  auto config = agent::ParseAgentConfig(text.str());
  if (!config.ok()) return config.status();
  return config->model;
}

Status ReadDeployment(const toml::table& root, SystemOptions* o, int* chat_port) {
  TableReader top(root, "");
  for (const char* s : {"deployment", "ports", "model", "guest"}) top.Skip(s);
  ZTA_RETURN_IF_ERROR(top.Finish());
  if (const toml::table* d = root["deployment"].as_table()) {
    TableReader r(*d, "deployment.");
    ZTA_RETURN_IF_ERROR(r.GetString("host", &o->host));
    ZTA_RETURN_IF_ERROR(r.GetString("agents_dir", &o->agents_dir));
    ZTA_RETURN_IF_ERROR(r.Finish());
    if (o->host != "127.0.0.1" && o->host != "::1" && o->host != "localhost") {
      return InvalidArgument("deployment.host must be a loopback address (plain HTTP)");
    }
  }
  if (const toml::table* p = root["ports"].as_table()) {
    TableReader r(*p, "ports.");
    ZTA_RETURN_IF_ERROR(ReadPort(r, "idp", &o->idp_port));
    ZTA_RETURN_IF_ERROR(ReadPort(r, "hotel", &o->hotel_port));
    ZTA_RETURN_IF_ERROR(ReadPort(r, "staff", &o->staff_port));
    ZTA_RETURN_IF_ERROR(ReadPort(r, "chat", chat_port));
    ZTA_RETURN_IF_ERROR(r.Finish());
  }
  if (const toml::table* m = root["model"].as_table()) {
    auto model = ReadModel(*m);
    if (!model.ok()) return model.status();
    o->model = *model;
  }
  if (const toml::table* g = root["guest"].as_table()) {
    TableReader r(*g, "guest.");
    ZTA_RETURN_IF_ERROR(r.GetString("user", &o->user_name));
    ZTA_RETURN_IF_ERROR(r.GetString("display_name", &o->user_display_name));
    ZTA_RETURN_IF_ERROR(r.Finish());
  }
  return Status::Ok();
}

}  // namespace

Status ParseDeployment(std::string_view text, SystemOptions* options, int* chat_port) {
  return ParseToml(text, [&](const toml::table& root) {
    return ReadDeployment(root, options, chat_port);
  });
}

Status LoadDeployment(const std::string& path, SystemOptions* options, int* chat_port) {
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  Status s = ParseDeployment(*text, options, chat_port);
  return s.ok() ? s : s.WithContext(path);
}

Result<agent::ModelConfig> ResolveModel(const std::optional<agent::ModelConfig>& configured,
                                        const std::string& llm, const std::string& llm_url,
                                        const std::string& model_name, bool gullible) {
  agent::ModelConfig model = configured ? *configured : agent::ModelConfig();
  if (!llm.empty()) {
    if (llm != "offline" && llm != "openai" && llm != "azure") {
      return InvalidArgument("--llm must be offline, openai or azure");
    }
    model.provider = llm;
  }
  if (!llm_url.empty()) model.base_url = llm_url;
  if (!model_name.empty()) model.model = model_name;
  if (model.provider != "offline") {
    if (model.base_url.empty() || model.model.empty()) {
      return InvalidArgument("a " + model.provider + " model needs --llm-url and --model (or "
                             "base_url and model in the deployment's [model])");
    }
    if (model.api_key_env.empty()) {
      const char* env = model.provider == "azure" ? "AZURE_OPENAI_API_KEY" : "OPENAI_API_KEY";
      if (std::getenv(env) != nullptr) model.api_key_env = env;
    }
    return model;
  }
  model.gullible = gullible;
  return model;
}

}  // namespace zta::hotel
