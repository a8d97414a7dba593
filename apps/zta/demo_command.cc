// `zta demo`: the whole hotel booking story on one machine (examples/hotel/demo.h; docs/hotel.md,
// "Walking through zta demo"). The flags go straight into hotel::DemoOptions.
#include "commands.h"
#include "hotel/demo.h"

namespace zta::cli {

void RegisterDemoCommand(CLI::App& app) {
  CLI::App* demo = app.add_subcommand(
      "demo",
      "The hotel booking story end to end: an idp, the hotel API and three agents on loopback; a "
      "guest approves one booking; injected text tries attacks; every token checked");
  auto options = std::make_shared<hotel::DemoOptions>();
  demo->add_option("--data", options->data_dir,
                   "Data folder (must be new); default: a temporary one, removed at the end");
  demo->add_option("--config", options->config, "A deployment file (examples/hotel/deployment.toml)");
  demo->add_option("--llm", options->llm, "offline (default: the rule-based planner), openai, azure")
      ->check(CLI::IsMember({"offline", "openai", "azure"}));
  demo->add_option("--llm-url", options->llm_url,
                   "The model server's base URL (OpenAI-compatible, or the Azure resource)");
  demo->add_option("--model", options->model, "Model or Azure deployment name");
  demo->add_flag("--keep-running", options->keep_running,
                 "Leave everything running after the script (web chat URL and login printed)");
  SetAction(demo, [options] { return hotel::RunDemo(*options); });
}

}  // namespace zta::cli
