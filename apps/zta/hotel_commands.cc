// `zta hotel serve|bookings`: run the hotel API (examples/hotel) and show its bookings. Thin:
// flags and the config file become HotelServiceOptions; the library does the rest.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "hotel/hotel_service.h"
#include "hotel/hotel_store.h"
#include "zta/core/clock.h"
#include "zta/http/protocol.h"
#include "zta/http/server.h"

namespace zta::cli {
namespace {

struct HotelFlags {
  std::string data_dir;
};

struct HotelServeFlags {
  std::string listen;
  std::string config;
  std::vector<std::string> issuers;
};

int Fail(const Status& s) {
  std::cerr << "zta: " << s.ToString() << "\n";
  return ExitCodeFor(s);
}

// The config file first, then the flags on top of it; validated.
int ServeOptions(const HotelFlags& g, const HotelServeFlags& f, hotel::HotelServiceOptions* o) {
  if (g.data_dir.empty()) return UsageError("zta hotel serve needs --data DIR");
  o->data_dir = g.data_dir;
  o->server.port = 8081;
  if (!f.config.empty()) {
    if (Status s = hotel::LoadHotelConfig(f.config, o); !s.ok()) return UsageError(s.ToString());
  }
  for (const auto& issuer : f.issuers) {
    guard::TrustedIssuer t;
    t.issuer = issuer;  // keys by discovery (RFC 8414)
    o->issuers.push_back(std::move(t));
  }
  if (!f.listen.empty()) {
    auto parsed = http::ParseHostPort(f.listen);
    if (!parsed.ok()) return UsageError("--listen: " + parsed.status().message());
    o->server.host = parsed->host;
    o->server.port = parsed->port;
  }
  if (Status s = o->Validate(); !s.ok()) return UsageError(s.message());
  return kExitOk;
}

int RunServe(const HotelFlags& g, const HotelServeFlags& f) {
  hotel::HotelServiceOptions o;
  if (int rc = ServeOptions(g, f, &o); rc != kExitOk) return rc;
  auto service = hotel::HotelService::Start(o, SystemClock::Instance());
  if (!service.ok()) return Fail(AsConfigurationError(service.status()));
  std::cout << "hotel API listening on " << (*service)->BaseUrl() << std::endl;
  std::cout << "resource " << (*service)->resource() << std::endl;
  int sig = http::WaitForTerminationSignal();
  std::cerr << "signal " << sig << ": shutting down" << std::endl;
  (*service)->Stop();
  return kExitOk;
}

std::string ChainText(const std::vector<std::string>& chain) {
  std::string out;
  for (const auto& actor : chain) out += (out.empty() ? "" : ">") + actor;
  return out.empty() ? "-" : out;
}

// Every booking as an aligned table, one row each.
void PrintTable(const std::vector<hotel::BookingRecord>& bookings) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "GUEST", "HOTEL", "ROOM", "CHECK_IN", "CHECK_OUT", "TOTAL", "STATUS", "ACTORS",
       "STAFF", "CREATED_AT"}};
  for (const auto& b : bookings) {
    rows.push_back({b.id, b.guest, b.hotel_id, b.room_id, b.check_in, b.check_out,
                    std::to_string(b.total) + " " + b.currency, b.status, ChainText(b.actor_chain),
                    b.staff.value_or("-"), b.created_at});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

int RunBookings(const HotelFlags& g, bool json) {
  if (g.data_dir.empty()) return UsageError("zta hotel bookings needs --data DIR");
  auto store = hotel::HotelStore::Open(g.data_dir, /*create=*/false);
  if (!store.ok()) return Fail(AsConfigurationError(store.status().WithContext(g.data_dir)));
  auto bookings = (*store)->ListBookings();
  if (!bookings.ok()) return Fail(AsConfigurationError(bookings.status()));
  if (json) {
    Json out = Json::array();
    for (const auto& b : *bookings) out.push_back(b.ToJson());
    std::cout << DumpJson(out, 2) << "\n";
  } else {
    PrintTable(*bookings);
  }
  return kExitOk;
}

}  // namespace

void RegisterHotelCommands(CLI::App& app) {
  auto g = std::make_shared<HotelFlags>();
  CLI::App* hotel = app.add_subcommand("hotel", "the hotel API of the reference scenario");
  hotel->require_subcommand(1);
  hotel->add_option("--data", g->data_dir, "data folder: hotel.db and the hotel's audit log");

  auto f = std::make_shared<HotelServeFlags>();
  CLI::App* serve = hotel->add_subcommand("serve", "run the hotel API (docs/hotel.md)");
  serve->add_option("--listen", f->listen, "HOST:PORT (default 127.0.0.1:8081; port 0 picks one)");
  serve->add_option("--config", f->config,
                    "TOML file: [hotel], [[issuers]], [staff], [identity] (docs/hotel.md)");
  serve->add_option("--issuer", f->issuers,
                    "a trusted issuer URL, keys by discovery (repeatable; adds to the config's)");
  SetAction(serve, [g, f] { return RunServe(*g, *f); });

  auto json = std::make_shared<bool>(false);
  CLI::App* bookings = hotel->add_subcommand("bookings", "list every booking in the data folder");
  bookings->add_flag("--json", *json, "a JSON array instead of a table");
  SetAction(bookings, [g, json] { return RunBookings(*g, *json); });
}

}  // namespace zta::cli
