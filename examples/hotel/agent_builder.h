// One hotel agent built from its file (agent_files.h) the way `zta agent run` builds one: its
// model, its own OAuth client (auth::AuthProvider), the user's delegated tokens when the file has
// [delegation], its HTTP tools, and the tool loop (agent::AssistantAgent) writing to the agents'
// audit log. The hotel library adds its built-in tools (booking_tools.h) afterwards.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "hotel/agent_files.h"
#include "hotel/token_log.h"
#include "zta/agent/assistant_agent.h"
#include "zta/agent/chat_model.h"
#include "zta/auth/auth_provider.h"
#include "zta/auth/consent_handler.h"
#include "zta/auth/delegation.h"
#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"

namespace zta::hotel {

struct AgentBuildOptions {
  std::optional<agent::ModelConfig> model;  // replaces the file's [model] when set
  auth::ConsentHandler* consent = nullptr;  // for [delegation]; null: consent_required
  TokenLog* token_log = nullptr;            // records the tokens the tools use; optional
  agent::MessageObserver observer;          // optional
};

// Members in the order they must be destroyed last-to-first: the agent before its tools' token
// sources, those before the provider they use. Not copyable.
struct BuiltAgent {
  std::unique_ptr<agent::ChatModel> model;
  std::unique_ptr<auth::AuthProvider> provider;
  std::unique_ptr<auth::DelegatedTokenSource> delegated;
  std::unique_ptr<RecordingTokenSource> own_tokens;   // provider, recorded
  std::unique_ptr<RecordingTokenSource> tool_tokens;  // delegated (or provider), recorded
  std::unique_ptr<agent::AssistantAgent> agent;
  std::string client_id;
};

// `audit` and `clock` must outlive the result.
Result<std::unique_ptr<BuiltAgent>> BuildAgent(const HotelAgentFile& file,
                                               const AgentBuildOptions& options, AuditSink& audit,
                                               const Clock& clock);

}  // namespace zta::hotel
