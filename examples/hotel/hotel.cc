// The hotel scenario's library (README.md beside this file). Empty for now: it gives the target
// zta::hotel something to build while the hotel API, agents and seed data are written.

namespace zta::hotel {}  // namespace zta::hotel
