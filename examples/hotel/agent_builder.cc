// Building a hotel agent from its file (agent_builder.h).
#include "hotel/agent_builder.h"

#include "zta/auth/auth_config.h"
#include "zta/auth/delegation_config.h"

namespace zta::hotel {
namespace {

Status MakeTokenSources(const agent::AgentConfig& config, const AgentBuildOptions& options,
                        const Clock& clock, BuiltAgent& built) {
  if (!config.identity) return InvalidArgument("the agent file has no [identity]");
  ZTA_ASSIGN_OR_RETURN(auth::AuthProviderOptions identity,
                       auth::ResolveAuthSettings(*config.identity));
  const std::string client_secret = identity.client_secret.Reveal();
  built.client_id = identity.client_id;
  ZTA_ASSIGN_OR_RETURN(built.provider, auth::AuthProvider::Create(std::move(identity), clock));
  built.own_tokens = std::make_unique<RecordingTokenSource>(config.agent.name, *built.provider,
                                                            options.token_log);
  auth::TokenSource* tools = built.provider.get();
  std::string app_secret;
  if (config.delegation) {
    ZTA_ASSIGN_OR_RETURN(auth::DelegationOptions delegation,
                         auth::ResolveDelegationSettings(*config.delegation));
    app_secret = delegation.app_client_secret.Reveal();
    ZTA_ASSIGN_OR_RETURN(built.delegated,
                         auth::DelegatedTokenSource::Create(std::move(delegation), *built.provider,
                                                            options.consent, clock));
    tools = built.delegated.get();
  }
  built.tool_tokens =
      std::make_unique<RecordingTokenSource>(config.agent.name, *tools, options.token_log);
  built.agent->AddSecret(client_secret);
  if (!app_secret.empty()) built.agent->AddSecret(app_secret);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<BuiltAgent>> BuildAgent(const HotelAgentFile& file,
                                               const AgentBuildOptions& options, AuditSink& audit,
                                               const Clock& clock) {
  auto built = std::make_unique<BuiltAgent>();
  const agent::AgentConfig& config = file.config;
  agent::ModelConfig model = options.model ? *options.model : config.model;
  std::string api_key;
  auto made = agent::MakeChatModel(model, &api_key);
  if (!made.ok()) return made.status().WithContext(config.agent.name + " [model]");
  built->model = std::move(made).value();
  ZTA_ASSIGN_OR_RETURN(built->agent,
                       agent::AssistantAgent::Create(config.agent, *built->model, audit));
  if (!api_key.empty()) built->agent->AddSecret(api_key);
  if (Status s = MakeTokenSources(config, options, clock, *built); !s.ok()) {
    return s.WithContext(config.agent.name);
  }
  for (const agent::HttpToolConfig& t : config.tools) {
    auto tool = agent::MakeHttpTool(t, built->tool_tokens.get());
    if (!tool.ok()) return tool.status().WithContext(config.agent.name);
    ZTA_RETURN_IF_ERROR(built->agent->AddTool(*tool));
  }
  if (options.observer) built->agent->SetObserver(options.observer);
  return built;
}

}  // namespace zta::hotel
