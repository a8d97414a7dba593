// The audit sink commands use for a data folder: the durable, hash-chained log (zta::audit).
#include <memory>
#include <string>

#include "commands.h"
#include "zta/audit/durable_sink.h"
#include "zta/core/clock.h"

namespace zta::cli {

std::unique_ptr<AuditSink> OpenDataFolderAuditSink(const std::string& data_dir, Status* status) {
  audit::DurableAuditSinkOptions options;
  options.data_dir = data_dir;
  auto sink = audit::DurableAuditSink::Open(options, SystemClock::Instance());
  if (!sink.ok()) {
    // A log that cannot be opened is a configuration error (exit 2, see ExitCodeFor).
    *status =
        AsConfigurationError(sink.status().WithContext("opening the audit log in " + data_dir));
    return nullptr;
  }
  return std::move(sink).value();
}

}  // namespace zta::cli
