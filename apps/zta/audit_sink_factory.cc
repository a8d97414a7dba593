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
    *status = sink.status().WithContext("opening the audit log in " + data_dir);
    // A log that cannot be opened is a configuration error (exit 2, see ExitCodeFor), even
    // when the cause carries a code that would otherwise mean "the check failed".
    if (ExitCodeFor(*status) != kExitUsage) {
      *status = Status(StatusCode::kFailedPrecondition, status->message(), status->reason());
    }
    return nullptr;
  }
  return std::move(sink).value();
}

}  // namespace zta::cli
