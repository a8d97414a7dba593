// `zta audit trace` and `zta audit who`: the story of one request or one booking across the audit
// logs of several data folders (the idp's, the hotel API's, each agent's), thin over
// zta/audit/trace.h and zta/audit/who.h. Every log is verified before it is read.
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "zta/audit/reader.h"
#include "zta/audit/trace.h"
#include "zta/audit/verify.h"
#include "zta/audit/who.h"
#include "zta/idp/sql_idp_store.h"
#include "zta/store/postgres.h"

namespace zta::cli {
namespace {

struct Logs {
  std::vector<std::vector<audit::StoredEvent>> stored;  // per --data, in chain order
  std::vector<std::vector<AuditEvent>> events;          // the same events, for the selectors
};

// Adds every event of `reader` as one log.
int AddLog(const std::string& where, audit::AuditLogReader& reader, Logs& logs) {
  Result<std::vector<audit::StoredEvent>> all = reader.Query(audit::EventFilter{});
  if (!all.ok()) return UsageError(where + ": " + all.status().message());
  std::vector<AuditEvent> events;
  events.reserve(all->size());
  for (const audit::StoredEvent& e : *all) events.push_back(e.event);
  logs.stored.push_back(std::move(*all));
  logs.events.push_back(std::move(events));
  return kExitOk;
}

// Verifies every chain of the PostgreSQL log at `url` and adds its events, merged by time, as
// one log.
int LoadVerifiedStore(const std::string& url, Logs& logs) {
  if (!store::IsPostgresUrl(url)) return UsageError("--store must be a postgresql:// URL");
  audit::VerifyOptions options;
  options.store_url = url;
  Result<std::vector<audit::ChainVerifyReport>> reports = audit::VerifyStore(options);
  if (!reports.ok()) return UsageError("--store: " + reports.status().message());
  for (const audit::ChainVerifyReport& chain : *reports) {
    if (!chain.report.ok) {
      std::cerr << "broken: chain " << chain.chain_id << ": event " << chain.report.bad_event << " "
                << audit::ChainErrorName(chain.report.error) << ": " << chain.report.detail << "\n";
      return kExitCheckFailed;
    }
  }
  Result<std::unique_ptr<audit::AuditLogReader>> reader = audit::AuditLogReader::OpenStore(url);
  if (!reader.ok()) return UsageError("--store: " + reader.status().message());
  return AddLog("--store", **reader, logs);
}

// Verifies (hash chain and checkpoints) and reads each data folder's log, in the order given,
// then the PostgreSQL log when `store_url` is set. kExitOk, or the exit code after printing
// why: 1 for a broken chain, 2 for no log at all.
int LoadVerifiedLogs(const std::vector<std::string>& dirs, const std::string& store_url,
                     Logs& logs) {
  if (dirs.empty() && store_url.empty()) return UsageError("give --data DIR or --store URL");
  for (const std::string& dir : dirs) {
    audit::VerifyOptions options;
    options.data_dir = dir;  // checkpoints against the folder's own public key, as verify does
    Result<audit::VerifyReport> report = audit::VerifyLog(options);
    if (!report.ok()) return UsageError(dir + ": " + report.status().message());
    if (!report->ok) {
      std::cerr << "broken: " << dir << ": event " << report->bad_event << " "
                << audit::ChainErrorName(report->error) << ": " << report->detail << "\n";
      return kExitCheckFailed;
    }
    Result<std::unique_ptr<audit::AuditLogReader>> reader = audit::AuditLogReader::Open(dir);
    if (!reader.ok()) return UsageError(dir + ": " + reader.status().message());
    if (int exit = AddLog(dir, **reader, logs); exit != kExitOk) return exit;
  }
  if (!store_url.empty()) return LoadVerifiedStore(store_url, logs);
  return kExitOk;
}

void RegisterStoryTrace(CLI::App& audit) {
  struct Flags {
    std::vector<std::string> data;
    std::string store;
    audit::TraceQuery query;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = audit.add_subcommand(
      "trace",
      "The story of one request across logs, in time order: consent, token, tool call, API "
      "decision. Exits 1 when no event matches or a log's chain is broken");
  cmd->add_option("--data", flags->data, "data folder holding audit.db (repeat for several)")
      ->allow_extra_args(false);  // one folder per --data: TRACE_ID is not a folder
  cmd->add_option("--store", flags->store,
                  "PostgreSQL URL of the idp nodes' shared audit log (with or without --data)");
  cmd->add_option("trace_id", flags->query.trace_id, "W3C trace id (32 hex digits)");
  cmd->add_option("--booking", flags->query.booking_id,
                  "the events of this booking (zta.resource.id) and of every trace they are in");
  cmd->add_option("--jti", flags->query.jti, "token id (JWT jti)");
  cmd->add_option("--resource-id", flags->query.resource_id,
                  "business object id, e.g. a booking (attribute zta.resource.id)");
  cmd->add_flag("--json", flags->json, "JSON Lines (the export form) instead of text");
  SetAction(cmd, [flags] {
    const audit::TraceQuery& q = flags->query;
    if (q.trace_id.empty() + q.booking_id.empty() + q.jti.empty() + q.resource_id.empty() != 3) {
      return UsageError("audit trace needs one of TRACE_ID, --booking, --jti or --resource-id");
    }
    Logs logs;
    if (int exit = LoadVerifiedLogs(flags->data, flags->store, logs); exit != kExitOk) {
      return exit;
    }
    Result<std::vector<audit::EventRef>> story = audit::SelectStory(logs.events, q);
    if (!story.ok()) return UsageError(story.status().message());
    if (story->empty()) {
      std::cerr << "no events for "
                << (!q.trace_id.empty()     ? "trace " + q.trace_id
                    : !q.booking_id.empty() ? "booking " + q.booking_id
                    : !q.jti.empty()        ? "jti " + q.jti
                                            : "resource id " + q.resource_id)
                << "\n";
      return kExitCheckFailed;
    }
    for (const audit::EventRef& ref : *story) {
      const audit::StoredEvent& e = logs.stored[ref.log][ref.index];
      std::cout << (flags->json ? audit::ExportLine(e) : audit::FormatEventLine(e.event)) << "\n";
    }
    return kExitOk;
  });
}

// The agents of every data folder that holds an idp registry (idp.db), for names and owners
// the log does not carry. Best effort: a folder without one, or one that does not open, adds
// nothing (the audit's registry.agent.add events still count).
audit::AgentDirectory RegistryAgents(const std::vector<std::string>& dirs,
                                     const std::string& store_url) {
  audit::AgentDirectory agents;
  auto add = [&](Result<std::unique_ptr<idp::SqlIdpStore>> store) {
    if (!store.ok()) return;
    auto registry = (*store)->LoadRegistry();
    if (!registry.ok()) return;
    for (const auto& [id, agent] : (*registry)->agents) {
      agents[id] = audit::AgentIdentity{id, agent.name, agent.owner};
    }
  };
  for (const std::string& dir : dirs) {
    std::string path = dir + "/idp.db";
    if (std::filesystem::exists(path)) add(idp::SqlIdpStore::Open(path));
  }
  if (!store_url.empty()) add(idp::SqlIdpStore::OpenPostgres(store_url, /*migrate=*/false));
  return agents;
}

void RegisterWho(CLI::App& audit) {
  struct Flags {
    std::vector<std::string> data;
    std::string store, booking;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = audit.add_subcommand(
      "who",
      "Who booked this? One paragraph: the agent that created the booking (name, client, owner), "
      "for which user, after which agent, under which consent, with which token, who assigned "
      "staff. Exits 1 when the booking is not found or a log's chain is broken");
  cmd->add_option("--data", flags->data, "data folder holding audit.db (repeat for several)")
      ->allow_extra_args(false);  // one folder per --data: TRACE_ID is not a folder
  cmd->add_option("--store", flags->store,
                  "PostgreSQL URL of the idp nodes' shared audit log and registry (with or "
                  "without --data)");
  cmd->add_option("--booking", flags->booking, "the booking id (zta.resource.id)")->required();
  cmd->add_flag("--json", flags->json, "one JSON object instead of the paragraph");
  SetAction(cmd, [flags] {
    Logs logs;
    if (int exit = LoadVerifiedLogs(flags->data, flags->store, logs); exit != kExitOk) {
      return exit;
    }
    Result<audit::BookingStory> story =
        audit::WhoBooked(logs.events, flags->booking, RegistryAgents(flags->data, flags->store));
    if (!story.ok()) {
      if (story.status().code() != StatusCode::kNotFound)
        return UsageError(story.status().message());
      std::cerr << story.status().message() << "\n";
      return kExitCheckFailed;
    }
    std::cout << (flags->json ? DumpJson(audit::StoryJson(*story)) : audit::Describe(*story))
              << "\n";
    return kExitOk;
  });
}

}  // namespace

void RegisterAuditStoryCommands(CLI::App& audit) {
  RegisterStoryTrace(audit);
  RegisterWho(audit);
}

}  // namespace zta::cli
