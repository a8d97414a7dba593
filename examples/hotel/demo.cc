// `zta demo` (demo.h): the script. Setup starts the system and the scripted guest; Story plays
// the booking; Attacks lets a gullible model loose; Verify and Report check and print.
#include "hotel/demo.h"

#include <stdlib.h>

#include <filesystem>
#include <iostream>

#include "hotel/demo_steps.h"

namespace zta::hotel {

int RunDemo(const DemoOptions& options) {
  std::ostream& out = options.out ? *options.out : std::cout;
  DemoRun run(options, out);
  if (Status s = run.Setup(); !s.ok()) {
    std::cerr << "zta demo: " << s.ToString() << "\n";
    return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  run.Story();
  run.Attacks();
  bool ok = run.Report();
  if (options.keep_running) run.KeepRunning();
  return ok ? 0 : 1;
}

}  // namespace zta::hotel
