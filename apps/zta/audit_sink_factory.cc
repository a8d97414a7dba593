// The audit sink commands use for a data folder: the durable, hash-chained log (zta::audit).
#include <memory>
#include <string>

#include "commands.h"
#include "zta/audit/durable_sink.h"
#include "zta/core/clock.h"

namespace zta::cli {

std::unique_ptr<AuditSink> OpenDataFolderAuditSink(const std::string& data_dir, Status* status) {
  return OpenAuditSink(data_dir, "", "", status);
}

std::unique_ptr<AuditSink> OpenAuditSink(const std::string& data_dir, const std::string& store_url,
                                         const std::string& node_id, Status* status) {
  audit::DurableAuditSinkOptions options;
  options.data_dir = data_dir;
  options.store_url = store_url;
  options.chain_id = node_id;
  auto sink = audit::DurableAuditSink::Open(options, SystemClock::Instance());
  if (!sink.ok()) {
    // A log that cannot be opened is a configuration error (exit 2, see ExitCodeFor).
    std::string where =
        store_url.empty() ? "in " + data_dir : "of node " + node_id + " in the store";
    *status = AsConfigurationError(sink.status().WithContext("opening the audit log " + where));
    return nullptr;
  }
  return std::move(sink).value();
}

}  // namespace zta::cli
