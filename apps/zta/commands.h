// The `zta` CLI is one binary; each command group registers its subcommands here.
// Exit codes (DESIGN.md): 0 success, 1 the check failed, 2 usage or configuration error.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "zta/core/audit_sink.h"
#include "zta/core/status.h"

namespace zta::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;
inline constexpr int kExitUsage = 2;

// A subcommand's body; returns the process exit code. Set with SetAction.
using Action = std::function<int()>;

// Binds `action` to `cmd`; main runs the action of the subcommand that was parsed.
void SetAction(CLI::App* cmd, Action action);

// The reason code an audit write failure carries (guard, agent): the event could not be recorded.
inline constexpr char kReasonAuditUnavailable[] = "audit_unavailable";

// The exit code for a command that ends with `status` (the mapping is documented at the
// definition, main.cc). Every command turns a Status into an exit code with this.
int ExitCodeFor(const Status& status);

// `status` (not ok) as a configuration error, exit 2, keeping its message and reason. For
// failures to open what a command is configured with (a data folder, its audit log, its keys):
// a wrong ZTA_IDP_KEY_ENCRYPTION_KEY (kPermissionDenied) is not a check that failed.
Status AsConfigurationError(const Status& status);

// Prints "zta: <message>" on stderr and returns kExitUsage.
int UsageError(const std::string& message);

// Reads a whole file, or standard input for "-". On error prints and returns false.
bool ReadFileOrStdin(const std::string& path, std::string& out, std::string* error);

// The durable audit log of a data folder (audit_sink_factory.cc); nullptr and `status` on error.
std::unique_ptr<AuditSink> OpenDataFolderAuditSink(const std::string& data_dir, Status* status);
// The same with `store_url` set: the log goes to chain `node_id` in that PostgreSQL database
// (docs/scale.md), the checkpoint key stays in `data_dir`.
std::unique_ptr<AuditSink> OpenAuditSink(const std::string& data_dir, const std::string& store_url,
                                         const std::string& node_id, Status* status);

void RegisterJoseCommands(CLI::App& app);   // zta jwk | jws | jwt   (jose_commands.cc)
void RegisterJoseWalkthrough(CLI::App& jwt);  // zta jwt walkthrough (jose_walkthrough.cc)
void RegisterDemoCommand(CLI::App& app);    // zta demo              (demo_command.cc)
void RegisterChatCommand(CLI::App& app);    // zta chat              (chat_command.cc)
void RegisterAuditCommands(CLI::App& app);  // zta audit ...   (audit_commands.cc)
// zta audit trace | who, under `audit` (audit_story_commands.cc)
void RegisterAuditStoryCommands(CLI::App& audit);
void RegisterIdpCommands(CLI::App& app);    // zta idp ...           (idp_commands.cc)
// zta idp federation ... (idp_federation_commands.cc); `data_dir` is `zta idp --data`, read
// when the command runs.
void RegisterIdpFederationCommands(CLI::App* idp, std::shared_ptr<std::string> data_dir);
void RegisterTokenCommands(CLI::App& app);  // zta token get         (auth_commands.cc)
void RegisterGatewayCommand(CLI::App& app); // zta gateway           (gateway_commands.cc)
void RegisterAgentCommands(CLI::App& app);  // zta agent run         (agent_commands.cc)
void RegisterHotelCommands(CLI::App& app);  // zta hotel serve|bookings (hotel_commands.cc)

}  // namespace zta::cli
