// zta: the one command-line binary. Thin: parses flags and calls the libraries.
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>

#include "commands.h"

namespace zta::cli {
namespace {
std::map<const CLI::App*, Action>& Actions() {
  static std::map<const CLI::App*, Action> actions;
  return actions;
}

// The deepest parsed subcommand.
const CLI::App* Leaf(const CLI::App* app) {
  for (const CLI::App* sub : app->get_subcommands()) {
    if (sub->parsed()) return Leaf(sub);
  }
  return app;
}
// Options of a command group work after its subcommands too ("zta idp serve --data D" as well
// as "zta idp --data D serve"): an option a subcommand does not know falls through to its
// parent, as common CLIs behave. Set on every subcommand once all are registered.
void FallThroughToParents(CLI::App* app) {
  for (CLI::App* sub : app->get_subcommands({})) {
    sub->fallthrough();
    FallThroughToParents(sub);
  }
}
}  // namespace

void SetAction(CLI::App* cmd, Action action) { Actions()[cmd] = std::move(action); }

// DESIGN "The CLI": 0 success, 1 the check failed, 2 usage or configuration error.
//   0  kOk.
//   1  the command ran and the answer is no: kUnauthenticated, kPermissionDenied (a credential
//      or a request refused), kNotFound (the named agent, resource or event is not there).
//   2  the command could not run as given or configured: kInvalidArgument, kAlreadyExists,
//      kFailedPrecondition, kResourceExhausted, kDataLoss, kUnimplemented, kInternal, and
//      kUnavailable / kDeadlineExceeded: a dependency that cannot be reached (a JWKS URL, a port
//      already in use) decided nothing, as `jwt verify` with an unreachable JWKS URL shows.
// An audit failure is therefore 2 in every command: writing fails with kUnavailable, reason
// "audit_unavailable"; a log that cannot be opened comes with a configuration code
// (OpenDataFolderAuditSink makes sure, with AsConfigurationError). zta refuses to act without
// its log; nothing was decided, and the operator has to fix the data folder.
int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
    case StatusCode::kNotFound:
      return kExitCheckFailed;
    case StatusCode::kInvalidArgument:
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kDataLoss:
    case StatusCode::kUnimplemented:
    case StatusCode::kInternal:
      return kExitUsage;
  }
  return kExitUsage;
}

Status AsConfigurationError(const Status& status) {
  if (ExitCodeFor(status) == kExitUsage) return status;
  return Status(StatusCode::kFailedPrecondition, status.message(), status.reason());
}

int UsageError(const std::string& message) {
  std::cerr << "zta: " << message << "\n";
  return kExitUsage;
}

bool ReadFileOrStdin(const std::string& path, std::string& out, std::string* error) {
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error) *error = "cannot read " + path;
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

}  // namespace zta::cli

int main(int argc, char** argv) {
  using namespace zta::cli;
  CLI::App app{"zta — zero-trust identities and authorization for AI agents"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "zta 0.1.0");
  RegisterJoseCommands(app);
  RegisterDemoCommand(app);
  RegisterChatCommand(app);
  RegisterAuditCommands(app);
  RegisterIdpCommands(app);
  RegisterTokenCommands(app);
  RegisterGatewayCommand(app);
  RegisterAgentCommands(app);
  FallThroughToParents(&app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports an unknown command as "A subcommand is required"; name the word instead,
    // and an unknown option or extra word as such.
    bool known_command = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
      known_command = known_command || (argc > 1 && sub->check_name(argv[1]));
    }
    const std::vector<std::string> rest = app.remaining();
    if (!rest.empty() && rest[0].rfind('-', 0) == 0) {
      std::cerr << "zta: unknown option '" << rest[0] << "' (see --help)\n";
    } else if (!rest.empty()) {
      std::cerr << "zta: " << (known_command ? "unexpected '" : "unknown command '") << rest[0]
                << "' (see --help)\n";
    } else {
      std::cerr << "zta: " << e.what() << " (see --help)\n";
    }
    return kExitUsage;
  }
  const CLI::App* leaf = Leaf(&app);
  auto it = Actions().find(leaf);
  if (it == Actions().end()) {
    std::cerr << leaf->help();
    return kExitUsage;
  }
  return it->second();
}
