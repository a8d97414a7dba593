// `zta demo` (docs/hotel.md, "Walking through zta demo"): the whole hotel story on one machine —
// the system started on free loopback ports with a fresh data folder, a scripted guest who
// searches, chooses, approves exactly one booking on the idp's real login and consent pages,
// the Booking Agent booking it with an exchanged token, the Staff Manager assigning staff, then
// a gullible model talked into attacks by injected review text, each refused by a token check.
// It prints the conversation, the decoded claims of every token used (signatures cut) and the
// answer to "who booked this?", and succeeds only when every step held and every audit chain
// verifies.
#pragma once

#include <iosfwd>
#include <string>

namespace zta::hotel {

struct DemoOptions {
  // The data folder; empty: a fresh temporary one, removed at the end (kept with keep_running).
  std::string data_dir;
  // deployment.toml (docs/hotel.md, "One file per deployment"); empty: embedded defaults.
  std::string config;
  // "offline" (the rule-based planner), "openai" or "azure"; empty: the config's or offline.
  std::string llm;
  std::string llm_url;  // the model server's base URL (openai, azure)
  std::string model;    // model or deployment name
  // Leave everything running after the script, print the web chat's URL and the demo user's
  // login, and wait for Ctrl-C.
  bool keep_running = false;
  std::ostream* out = nullptr;  // Default: std::cout
};

// Runs the demo; returns the process exit code: 0 when every check held, 1 when one failed, 2
// for a usage or configuration error.
int RunDemo(const DemoOptions& options);

}  // namespace zta::hotel
