// `zta chat`: the hotel's Guest Assistant in the terminal (examples/hotel/terminal_chat.h).
#include "commands.h"
#include "hotel/terminal_chat.h"

namespace zta::cli {

void RegisterChatCommand(CLI::App& app) {
  CLI::App* chat = app.add_subcommand(
      "chat", "Talk to the hotel's Guest Assistant in the terminal (starts the whole deployment)");
  auto o = std::make_shared<hotel::ChatOptions>();
  chat->add_option("--data", o->data_dir, "Data folder (must be new); default: a temporary one");
  chat->add_option("--config", o->config, "A deployment file (examples/hotel/deployment.toml)");
  chat->add_option("--llm", o->llm, "offline (default), openai, azure")
      ->check(CLI::IsMember({"offline", "openai", "azure"}));
  chat->add_option("--llm-url", o->llm_url, "The model server's base URL");
  chat->add_option("--model", o->model, "Model or Azure deployment name");
  chat->add_option("--approval", o->approval,
                   "How you approve a booking: consent (a printed link) or backchannel (the "
                   "identity provider's account page)")
      ->check(CLI::IsMember({"consent", "backchannel"}));
  SetAction(chat, [o] { return hotel::RunChat(*o); });
}

}  // namespace zta::cli
