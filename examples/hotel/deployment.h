// One TOML file describing a hotel deployment (docs/hotel.md, "One file per deployment"):
// where the services listen, which agent files and which model they use, and the demo guest.
// `zta demo --config FILE` reads it; every key is optional (the embedded defaults apply).
#pragma once

#include <string>

#include "hotel/system.h"
#include "zta/core/status.h"

namespace zta::hotel {

// Reads `path` into `options` (keys absent from the file keep their values). Unknown keys,
// wrong types and bad values are InvalidArgument naming the key and the file.
Status LoadDeployment(const std::string& path, SystemOptions* options, int* chat_port);
// The same from text (tests).
Status ParseDeployment(std::string_view text, SystemOptions* options, int* chat_port);

// The model agents use: the deployment's [model] (or the offline planner), then the command
// line's --llm (offline | openai | azure), --llm-url and --model. A real model needs a base URL
// and a model name; its key is read from api_key_env, else OPENAI_API_KEY or
// AZURE_OPENAI_API_KEY when set. `gullible` makes the offline planner obey instructions in tool
// results (the demo's attack scene); a real model is left as it is.
Result<agent::ModelConfig> ResolveModel(const std::optional<agent::ModelConfig>& configured,
                                        const std::string& llm, const std::string& llm_url,
                                        const std::string& model_name, bool gullible);

}  // namespace zta::hotel
