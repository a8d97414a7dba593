// The hotel agents' TOML files (examples/hotel/agents/, docs/hotel.md "Agent files"): read from a
// folder or from the copies compiled into the binary, their ${NAME} placeholders filled from the
// running deployment, the zta agent file (docs/agent.md) parsed, and the hotel library's own
// [hotel] table (the built-in tools book_room and create_booking) set apart.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "zta/agent/declarative.h"
#include "zta/core/json.h"
#include "zta/core/status.h"

namespace zta::hotel {

// The files, by name ("guest-assistant.toml", ...).
inline constexpr char kGuestAssistantFile[] = "guest-assistant.toml";
inline constexpr char kBookingAgentFile[] = "booking-agent.toml";
inline constexpr char kStaffManagerFile[] = "staff-manager.toml";

// One agent file, read.
struct HotelAgentFile {
  agent::AgentConfig config;  // everything but [hotel], as `zta agent run` reads it
  // [hotel] as JSON ({} when absent): `book_room = {booking_agent, scopes}`,
  // `create_booking = {scopes}`.
  Json hotel = Json::object();
};

// Replaces each ${NAME} (NAME: A-Z, 0-9, _) in `text` by vars[NAME]. An unknown name, or a value
// holding a quote, a backslash or a control character (it would change the TOML around it), is
// InvalidArgument naming it. "$" not followed by "{" is kept.
Result<std::string> FillPlaceholders(std::string_view text,
                                     const std::map<std::string, std::string>& vars);

// The text of agent file `name`: from `dir` when it is not empty (so a user can edit the files
// without recompiling), else the copy embedded at build time from examples/hotel/agents/.
Result<std::string> ReadAgentFile(const std::string& dir, const std::string& name);

// Reads, fills and parses agent file `name`. Errors name the file.
Result<HotelAgentFile> LoadHotelAgentFile(const std::string& dir, const std::string& name,
                                          const std::map<std::string, std::string>& vars);

}  // namespace zta::hotel
