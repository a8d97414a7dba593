// `zta audit verify | query | export`: check and read the tamper-evident audit log in a data
// folder or the idp nodes' PostgreSQL, thin over zta::audit (trace and who:
// audit_story_commands.cc). verify exits 1 when the chain is broken; bad flags or an unreadable log
// exit 2.
#include <iostream>
#include <optional>
#include <string>

#include "commands.h"
#include "zta/audit/event_format.h"
#include "zta/audit/reader.h"
#include "zta/audit/verify.h"
#include "zta/core/status.h"
#include "zta/jose/jwk.h"
#include "zta/store/postgres.h"

namespace zta::cli {
namespace {

// Folds a time flag into `out`; false (after printing) when it is not RFC 3339.
bool ParseTimeFlag(const std::string& flag, const std::string& value, std::optional<int64_t>& out) {
  if (value.empty()) return true;
  Result<int64_t> t = audit::ParseTime(value);
  if (!t.ok()) {
    UsageError(flag + ": " + t.status().message());
    return false;
  }
  out = *t;
  return true;
}

int LogError(const Status& status) { return UsageError(status.message()); }

// --data DIR (a data folder's log) or --store URL (the nodes' chains in PostgreSQL), one of them.
void AddLogOptions(CLI::App* cmd, std::string& data, std::string& store) {
  cmd->add_option("--data", data, "data folder holding audit.db");
  cmd->add_option("--store", store,
                  "PostgreSQL URL of the idp nodes' shared audit log (docs/scale.md); "
                  "password from PGPASSWORD/PGPASSFILE");
}

// Exactly one of --data / --store; UsageError's exit code when not, else kExitOk.
int CheckLogOptions(const std::string& data, const std::string& store) {
  if (data.empty() == store.empty()) return UsageError("give one of --data DIR or --store URL");
  if (!store.empty() && !store::IsPostgresUrl(store)) {
    return UsageError("--store must be a postgresql:// URL");
  }
  return kExitOk;
}

Result<std::unique_ptr<audit::AuditLogReader>> OpenReader(const std::string& data,
                                                          const std::string& store) {
  return store.empty() ? audit::AuditLogReader::Open(data)
                       : audit::AuditLogReader::OpenStore(store);
}

std::string CheckpointTime(const audit::VerifyReport& report) {
  return report.last_checkpoint_micros ? audit::FormatTime(*report.last_checkpoint_micros)
                                       : std::string("none");
}

// verify --store: every chain; exit 1 when any is broken.
int VerifyChains(const audit::VerifyOptions& options) {
  Result<std::vector<audit::ChainVerifyReport>> reports = audit::VerifyStore(options);
  if (!reports.ok()) return LogError(reports.status());
  uint64_t events = 0;
  int exit = kExitOk;
  for (const audit::ChainVerifyReport& chain : *reports) {
    const audit::VerifyReport& r = chain.report;
    if (!r.ok) {
      std::cerr << "broken: chain " << chain.chain_id << ": event " << r.bad_event << " "
                << audit::ChainErrorName(r.error) << ": " << r.detail << "\n";
      exit = kExitCheckFailed;
      continue;
    }
    events += r.events;
    std::cout << "ok: chain " << chain.chain_id << ": " << r.events
              << " events, chain intact, last checkpoint " << CheckpointTime(r) << "\n";
  }
  if (exit == kExitOk) {
    std::cout << "ok: " << reports->size() << " chains, " << events << " events\n";
  }
  return exit;
}

void RegisterVerify(CLI::App& audit) {
  struct Flags {
    std::string data, store;
    std::string public_key;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = audit.add_subcommand(
      "verify",
      "Check the whole hash chain and every signed checkpoint. Prints \"ok: <N> events, chain "
      "intact, last checkpoint <time>\"; exits 1 naming the first bad event and why");
  AddLogOptions(cmd, flags->data, flags->store);
  cmd->add_option("--public-key", flags->public_key,
                  "trusted JWK or JWKS of the checkpoint signers (default: "
                  "DIR/audit-signing-key.pub.json; with --store, the keys the nodes published)");
  SetAction(cmd, [flags] {
    if (int exit = CheckLogOptions(flags->data, flags->store); exit != kExitOk) return exit;
    audit::VerifyOptions options;
    options.data_dir = flags->data;
    options.store_url = flags->store;
    if (!flags->public_key.empty()) {
      std::string text, error;
      if (!ReadFileOrStdin(flags->public_key, text, &error)) return UsageError(error);
      Result<jose::Jwks> keys = jose::Jwks::ParseKeyOrSet(text);
      if (!keys.ok()) {
        return UsageError("--public-key " + flags->public_key + ": " + keys.status().message());
      }
      options.public_keys = std::move(*keys);
    }
    if (!flags->store.empty()) return VerifyChains(options);
    Result<audit::VerifyReport> report = audit::VerifyLog(options);
    if (!report.ok()) return LogError(report.status());
    if (!report->ok) {
      std::cerr << "broken: event " << report->bad_event << " "
                << audit::ChainErrorName(report->error) << ": " << report->detail << "\n";
      return kExitCheckFailed;
    }
    std::cout << "ok: " << report->events << " events, chain intact, last checkpoint "
              << CheckpointTime(*report) << "\n";
    return kExitOk;
  });
}

void RegisterQuery(CLI::App& audit) {
  struct Flags {
    std::string data, store, subject, actor, action, decision, since, until;
    size_t limit = 0;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = audit.add_subcommand("query", "List events matching every filter given");
  AddLogOptions(cmd, flags->data, flags->store);
  cmd->add_option("--subject", flags->subject, "the user on whose behalf");
  cmd->add_option("--actor", flags->actor, "an agent anywhere in the actor chain");
  cmd->add_option("--action", flags->action, "action, or a prefix ending in * (token.*)");
  cmd->add_option("--decision", flags->decision, "allow, deny or error")
      ->check(CLI::IsMember({"allow", "deny", "error"}));
  cmd->add_option("--since", flags->since, "RFC 3339 time or date, inclusive");
  cmd->add_option("--until", flags->until, "RFC 3339 time or date, exclusive");
  cmd->add_option("--limit", flags->limit, "at most this many events (default: all)");
  cmd->add_flag("--json", flags->json, "JSON Lines (the export form) instead of text");
  SetAction(cmd, [flags] {
    if (int exit = CheckLogOptions(flags->data, flags->store); exit != kExitOk) return exit;
    audit::EventFilter filter;
    filter.subject = flags->subject;
    filter.actor = flags->actor;
    filter.action = flags->action;
    if (flags->decision == "allow") filter.decision = AuditDecision::kAllow;
    if (flags->decision == "deny") filter.decision = AuditDecision::kDeny;
    if (flags->decision == "error") filter.decision = AuditDecision::kError;
    if (!ParseTimeFlag("--since", flags->since, filter.since_micros) ||
        !ParseTimeFlag("--until", flags->until, filter.until_micros)) {
      return kExitUsage;
    }
    Result<std::unique_ptr<audit::AuditLogReader>> reader = OpenReader(flags->data, flags->store);
    if (!reader.ok()) return LogError(reader.status());
    size_t shown = 0;
    Status status = (*reader)->Scan(filter, [&](const audit::StoredEvent& e) {
      std::cout << (flags->json ? audit::ExportLine(e) : audit::FormatEventLine(e.event)) << "\n";
      return flags->limit == 0 || ++shown < flags->limit;
    });
    if (!status.ok()) return LogError(status);
    return kExitOk;
  });
}

void RegisterExport(CLI::App& audit) {
  struct Flags {
    std::string data, store, since, until;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = audit.add_subcommand(
      "export", "Every event as JSON Lines on stdout (for a SIEM), each with its chain hash");
  AddLogOptions(cmd, flags->data, flags->store);
  cmd->add_option("--since", flags->since, "RFC 3339 time or date, inclusive");
  cmd->add_option("--until", flags->until, "RFC 3339 time or date, exclusive");
  SetAction(cmd, [flags] {
    if (int exit = CheckLogOptions(flags->data, flags->store); exit != kExitOk) return exit;
    audit::EventFilter filter;
    if (!ParseTimeFlag("--since", flags->since, filter.since_micros) ||
        !ParseTimeFlag("--until", flags->until, filter.until_micros)) {
      return kExitUsage;
    }
    Result<std::unique_ptr<audit::AuditLogReader>> reader = OpenReader(flags->data, flags->store);
    if (!reader.ok()) return LogError(reader.status());
    Status status = (*reader)->Scan(filter, [](const audit::StoredEvent& e) {
      std::cout << audit::ExportLine(e) << "\n";
      return true;
    });
    if (!status.ok()) return LogError(status);
    std::cout.flush();
    return std::cout ? kExitOk : UsageError("cannot write to standard output");
  });
}

}  // namespace

void RegisterAuditCommands(CLI::App& app) {
  CLI::App* audit = app.add_subcommand(
      "audit", "Verify and read the tamper-evident audit log (hash chain + signed checkpoints)");
  audit->require_subcommand(1);
  RegisterVerify(*audit);
  RegisterQuery(*audit);
  RegisterAuditStoryCommands(*audit);  // trace, who (audit_story_commands.cc)
  RegisterExport(*audit);
}

}  // namespace zta::cli
