// `zta chat` (docs/hotel.md, "zta chat"): the Guest Assistant in the terminal. It starts the
// deployment like `zta demo` (a fresh data folder, free loopback ports) and then talks to the
// person at the terminal as the demo guest. A booking is approved either on the consent page
// through a printed link (a loopback redirect, RFC 8252 §7.3) or, with --approval backchannel,
// on the identity provider's account page (CIBA poll mode).
#pragma once

#include <iosfwd>
#include <string>

namespace zta::hotel {

struct ChatOptions {
  std::string data_dir;  // empty: a fresh temporary folder, removed at the end
  std::string config;    // deployment.toml; empty: embedded defaults
  std::string llm, llm_url, model;
  std::string approval = "consent";  // "consent" (printed link) | "backchannel" (account page)
  std::istream* in = nullptr;        // Default: std::cin
  std::ostream* out = nullptr;       // Default: std::cout
};

// Exit code: 0 at the end of input, 2 for a usage or configuration error.
int RunChat(const ChatOptions& options);

}  // namespace zta::hotel
