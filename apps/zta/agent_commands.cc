// `zta agent run`: runs a declarative agent (TOML, docs/agent.md) for one message or a terminal
// session, printing the conversation, tool calls and denials. Thin: zta::agent does the work.
#include <unistd.h>

#include <iostream>
#include <memory>

#include "commands.h"
#include "zta/agent/assistant_agent.h"
#include "zta/agent/declarative.h"
#include "zta/auth/auth_config.h"
#include "zta/auth/auth_provider.h"
#include "zta/auth/consent_handler.h"
#include "zta/auth/delegation.h"
#include "zta/auth/delegation_config.h"
#include "zta/core/clock.h"
#include "zta/core/random.h"
#include "zta/core/trace_context.h"

namespace zta::cli {
namespace {

struct AgentRunFlags {
  std::string config;
  std::string message;
  bool interactive = false;
  std::string llm_url;
  std::string model;
  std::string user;
  std::string data;
};

std::string Shorten(const std::string& s, size_t n = 600) {
  return s.size() <= n ? s : s.substr(0, n) + "...";
}

// With [model] stream = true the reply's text is printed as it arrives; the finished message
// then only ends the line. Touched only by the thread running the agent.
struct StreamedText {
  std::string agent_name;
  bool open = false;  // text of the current reply has been printed
} streamed;

void PrintTextDelta(std::string_view delta) {
  if (!streamed.open) std::cout << streamed.agent_name << "> ";
  streamed.open = true;
  std::cout << delta << std::flush;
}

void Print(const agent::Message& m, const agent::ToolOutcome* outcome) {
  using agent::Role;
  using agent::ToolStatus;
  if (m.role == Role::kAssistant) {
    if (streamed.open) {
      std::cout << "\n";
      streamed.open = false;
    } else if (!m.content.empty()) {
      std::cout << m.name << "> " << m.content << "\n";
    }
    for (const auto& call : m.tool_calls) {
      std::cout << "  -> tool call " << call.name << " " << Shorten(call.arguments, 300) << "\n";
    }
  } else if (m.role == Role::kTool && outcome != nullptr) {
    switch (outcome->status) {
      case ToolStatus::kOk:
        std::cout << "  <- " << m.tool_name << ": " << Shorten(m.content) << "\n";
        break;
      case ToolStatus::kDenied:
        std::cout << "  xx DENIED " << m.tool_name << " (" << outcome->reason << ")\n";
        break;
      case ToolStatus::kError:
        std::cout << "  !! error " << m.tool_name << " (" << outcome->reason
                  << "): " << Shorten(m.content, 300) << "\n";
        break;
    }
  }
  std::cout.flush();
}

// Asks on the terminal; without one (scripts, pipes) the answer is no.
bool AskApproval(const agent::ApprovalRequest& r) {
  if (!isatty(STDIN_FILENO)) {
    std::cerr << "zta: " << r.tool << " needs approval and there is no terminal: denied\n";
    return false;
  }
  std::cerr << "Allow " << r.agent << " to call " << r.tool << " " << DumpJson(r.arguments)
            << "? [y/N] ";
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

// The agent's file, then the environment's model settings, then the flags over both.
int LoadConfig(const AgentRunFlags& f, agent::AgentConfig* config) {
  auto loaded = agent::LoadAgentConfig(f.config);
  if (!loaded.ok()) return UsageError(loaded.status().ToString());
  *config = std::move(loaded).value();
  if (Status env = agent::ApplyModelEnvironment(config->model); !env.ok()) {
    return UsageError(env.ToString());
  }
  if (!f.llm_url.empty()) {
    config->model.base_url = f.llm_url;
    if (config->model.provider == "offline") config->model.provider = "openai";
  }
  if (!f.model.empty()) config->model.model = f.model;
  if (!f.user.empty()) config->user = f.user;
  return kExitOk;
}

// The agent's own OAuth client, when one of its tools needs a token; else *provider stays null.
int MakeAuthProvider(const agent::AgentConfig& config,
                     std::unique_ptr<auth::AuthProvider>* provider, std::string* client_secret) {
  bool needs_tokens = false;
  for (const auto& t : config.tools) needs_tokens = needs_tokens || t.auth.has_value();
  if (!needs_tokens) return kExitOk;
  // Validate() guarantees an [identity] when a tool needs a token.
  auto options = auth::ResolveAuthSettings(*config.identity);
  if (!options.ok()) return UsageError("[identity]: " + options.status().ToString());
  *client_secret = options->client_secret.Reveal();
  auto created = auth::AuthProvider::Create(std::move(options).value(), SystemClock::Instance());
  if (!created.ok()) return UsageError("[identity]: " + created.status().ToString());
  *provider = std::move(created).value();
  return kExitOk;
}

// What the tools get their tokens from. With [delegation]: a DelegatedTokenSource over the
// agent's provider, so `acting = "user"` tools go through the user's consent (docs/auth.md
// "Acting for users"); else the provider itself (which refuses on_behalf_of: consent_required).
// Members are declared so the source is destroyed before the handler it points to.
struct ToolTokens {
  std::unique_ptr<auth::LoopbackConsentHandler> consent;  // consent = "loopback"
  std::unique_ptr<auth::DelegatedTokenSource> delegated;
  std::string app_client_secret;  // registered for scrubbing
  auth::TokenSource* source = nullptr;
};

int MakeToolTokens(const agent::AgentConfig& config, auth::AuthProvider* provider,
                   ToolTokens* tokens) {
  tokens->source = provider;
  if (!config.delegation) return kExitOk;
  // Resolved even when no tool needs a token, so a broken [delegation] is reported at start.
  auto options = auth::ResolveDelegationSettings(*config.delegation);
  if (!options.ok()) return UsageError("[delegation]: " + options.status().ToString());
  if (provider == nullptr) return kExitOk;  // no tool needs a token: nothing to delegate
  tokens->app_client_secret = options->app_client_secret.Reveal();
  if (config.delegation->consent == "loopback") {
    auth::LoopbackConsentOptions loopback;
    loopback.port = static_cast<int>(config.delegation->loopback_port);
    loopback.out = &std::cerr;  // stdout is the conversation
    auto started = auth::LoopbackConsentHandler::Start(std::move(loopback));
    if (!started.ok()) {
      return UsageError("[delegation] consent listener: " + started.status().ToString());
    }
    tokens->consent = std::move(started).value();
  }
  auto created = auth::DelegatedTokenSource::Create(std::move(options).value(), *provider,
                                                    tokens->consent.get(), SystemClock::Instance());
  if (!created.ok()) return UsageError("[delegation]: " + created.status().ToString());
  tokens->delegated = std::move(created).value();
  tokens->source = tokens->delegated.get();
  return kExitOk;
}

// The data folder's audit log with --data, else one in memory.
int OpenAudit(const std::string& data, std::unique_ptr<AuditSink>* audit) {
  if (data.empty()) {
    *audit = std::make_unique<InMemoryAuditSink>();
    return kExitOk;
  }
  Status status;
  *audit = OpenDataFolderAuditSink(data, &status);
  if (!*audit) {
    std::cerr << "zta: " << status.ToString() << "\n";
    return ExitCodeFor(status);
  }
  return kExitOk;
}

int AddTools(const agent::AgentConfig& config, auth::TokenSource* tokens,
             agent::AssistantAgent& assistant) {
  for (const auto& t : config.tools) {
    auto tool = agent::MakeHttpTool(t, tokens);
    if (!tool.ok()) return UsageError(tool.status().ToString());
    Status added = assistant.AddTool(*tool);
    if (!added.ok()) return UsageError(added.ToString());
  }
  return kExitOk;
}

// One user message and the agent's answer to it.
int RunTurn(agent::AssistantAgent& assistant, agent::Conversation& conversation,
            const std::string& user, const std::string& text) {
  conversation.Append(agent::Message::User(text, user));
  auto result = assistant.Run(conversation);
  if (!result.ok()) {
    std::cerr << "zta: agent turn failed: " << result.status().ToString() << "\n";
    // A model or tool error ends the turn: the check failed (1), whatever its code. An
    // audit failure exits as in every command (ExitCodeFor: 2).
    const bool audit_failed = result.status().reason() == kReasonAuditUnavailable;
    return audit_failed ? ExitCodeFor(result.status()) : kExitCheckFailed;
  }
  if (result->stop_reason != "final") {
    std::cerr << "(turn ended: " << result->stop_reason << ")\n";
  }
  return kExitOk;
}

// --message: one turn; --interactive: turns until end of input, "exit" or "quit".
int Converse(agent::AssistantAgent& assistant, const std::string& user, const AgentRunFlags& f) {
  agent::Conversation conversation(user);
  // Correlates this run's tool-call events, token requests and API calls in every audit log
  // (a W3C trace id, W3C Trace Context §3.2.2.3).
  if (auto trace = NewTraceId(); trace.ok()) conversation.set_trace_id(*trace);
  if (!f.interactive) {
    std::cout << (user.empty() ? "user" : user) << "> " << f.message << "\n";
    return RunTurn(assistant, conversation, user, f.message);
  }
  std::string line;
  while (true) {
    std::cout << "you> " << std::flush;
    if (!std::getline(std::cin, line)) break;
    if (line == "exit" || line == "quit") break;
    if (line.empty()) continue;
    int rc = RunTurn(assistant, conversation, user, line);
    if (rc != kExitOk) return rc;
  }
  std::cout << "\n";
  return kExitOk;
}

int AgentRun(const AgentRunFlags& f) {
  if (f.message.empty() == !f.interactive) {
    return UsageError("give exactly one of --message TEXT and --interactive");
  }
  agent::AgentConfig config;
  if (int rc = LoadConfig(f, &config); rc != kExitOk) return rc;

  std::string api_key;
  streamed.agent_name = config.agent.name;
  auto model = agent::MakeChatModel(config.model, &api_key, PrintTextDelta);
  if (!model.ok()) return UsageError("[model]: " + model.status().ToString());
  std::unique_ptr<auth::AuthProvider> provider;
  std::string client_secret;
  if (int rc = MakeAuthProvider(config, &provider, &client_secret); rc != kExitOk) return rc;
  ToolTokens tokens;
  if (int rc = MakeToolTokens(config, provider.get(), &tokens); rc != kExitOk) return rc;
  std::unique_ptr<AuditSink> audit;
  if (int rc = OpenAudit(f.data, &audit); rc != kExitOk) return rc;

  if (config.agent.id.empty() && config.identity) {
    // The agent's identity is its OAuth client, when it has one.
    auto options = auth::ResolveAuthSettings(*config.identity);
    if (options.ok() && !options->client_id.empty()) config.agent.id = options->client_id;
  }
  auto created = agent::AssistantAgent::Create(config.agent, **model, *audit);
  if (!created.ok()) return UsageError(created.status().ToString());
  agent::AssistantAgent& assistant = **created;
  if (int rc = AddTools(config, tokens.source, assistant); rc != kExitOk) return rc;
  if (!api_key.empty()) assistant.AddSecret(api_key);
  if (!client_secret.empty()) assistant.AddSecret(client_secret);
  if (!tokens.app_client_secret.empty()) assistant.AddSecret(tokens.app_client_secret);
  assistant.SetObserver(Print);
  assistant.SetApprovalHook(AskApproval);

  std::cerr << "agent " << assistant.name() << " with " << (*model)->Describe() << ", "
            << config.tools.size() << " tool(s)\n";
  if (tokens.delegated) {
    std::cerr << "acting for " << (config.user.empty() ? "(no user: give --user)" : config.user)
              << " through app " << config.delegation->options.app_client_id << ", consent "
              << (tokens.consent ? "at " + tokens.consent->RedirectUri() : std::string("none"))
              << "\n";
  }
  return Converse(assistant, config.user, f);
}

}  // namespace

void RegisterAgentCommands(CLI::App& app) {
  CLI::App* group = app.add_subcommand("agent", "Run agents defined in TOML files");
  group->require_subcommand(1);
  auto flags = std::make_shared<AgentRunFlags>();
  CLI::App* run = group->add_subcommand(
      "run", "Run a declarative agent (docs/agent.md) for one message or interactively");
  run->add_option("--config", flags->config, "agent TOML file")->required();
  auto* message = run->add_option("--message", flags->message, "one user message, then exit");
  auto* interactive =
      run->add_flag("--interactive", flags->interactive, "chat on the terminal until EOF/exit");
  message->excludes(interactive);
  run->add_option("--llm-url", flags->llm_url,
                  "OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1 (overrides "
                  "[model] base_url; selects provider openai when the file says offline)");
  run->add_option("--model", flags->model, "model or deployment name (overrides [model] model)");
  run->add_option("--user", flags->user,
                  "the user the conversation is with, and whom acting = \"user\" tools act for "
                  "([agent] user)");
  run->add_option("--data", flags->data, "data folder: audit events go to its durable log");
  SetAction(run, [flags] { return AgentRun(*flags); });
}

}  // namespace zta::cli
