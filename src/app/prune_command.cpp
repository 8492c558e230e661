// `chronohook prune [--dry-run]`: the daemon's retention pass, once, from
// the command line. It opens a connection of its own and writes in small
// transactions with busy_timeout, so it works while `serve` is running.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "chronohook/config.hpp"
#include "chronohook/migrations.hpp"
#include "chronohook/retention.hpp"
#include "chronohook/sqlite.hpp"

namespace chronohook::app {
namespace {

// prune works on a database that serve or migrate brought up to date; it
// does not migrate by itself (that could VACUUM under a running daemon).
Status check_schema(sqlite::Database& db, const std::filesystem::path& path) {
  auto stmt = db.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!stmt) return Error{path.string() + " is not a chronohook database (" + stmt.error().message + ")"};
  if (auto step = stmt->step(); !step) return step.error();
  const std::int64_t have = stmt->column_int(0);
  const int need = embedded_migrations().empty() ? 0 : embedded_migrations().back().version;
  if (have < need) {
    return Error{path.string() + " is at schema version " + std::to_string(have) + " and this chronohook needs " +
                 std::to_string(need) + ": run `chronohook migrate` (or start `chronohook serve`) first"};
  }
  return Status::Ok();
}

}  // namespace

int prune(const std::filesystem::path& config_file, bool dry_run) {
  ::umask(077);
  auto config = load_config(config_file, ConfigEnvironment::from_process());
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitConfig;
  }
  for (const std::string& warning : config->warnings) std::cerr << "warning  " << warning << "\n";
  if (!config->retention.enabled) {
    std::cerr << "prune: " << config->source.string()
              << " has no [retention] table, so every event is kept; add one with max_age and/or max_events\n";
    return kExitConfig;
  }
  const std::filesystem::path& path = config->storage.path;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    std::cerr << "prune: no database at " << path.string() << " ([storage] path)\n";
    return kExitRuntime;
  }
  auto db =
      sqlite::Database::open(path, dry_run ? sqlite::Database::Mode::kReadOnly : sqlite::Database::Mode::kReadWrite);
  if (!db) {
    std::cerr << "prune: " << db.error().message << "\n";
    return kExitRuntime;
  }
  // Waits for the daemon's writer between its batches instead of failing.
  if (auto st = db->exec("PRAGMA busy_timeout = " + std::to_string(config->storage.busy_timeout.count())); !st) {
    std::cerr << "prune: " << st.error().message << "\n";
    return kExitRuntime;
  }
  if (auto st = check_schema(*db, path); !st) {
    std::cerr << "prune: " << st.error().message << "\n";
    return kExitRuntime;
  }
  std::vector<std::string> consumers;
  for (const ConsumerConfig& c : config->consumers) consumers.push_back(c.name);
  const auto now = std::chrono::system_clock::now();

  if (dry_run) {
    auto plan = plan_prune(*db, config->retention, consumers, now);
    if (!plan) {
      std::cerr << "prune: " << plan.error().message << "\n";
      return kExitRuntime;
    }
    PruneReport report;
    report.plan = *plan;
    std::cout << "prune: " << describe(report, true) << " (dry run: nothing was deleted)\n";
    return kExitOk;
  }
  auto report = run_prune(*db, write_on_connection(*db), config->retention, consumers, now);
  if (!report) {
    std::cerr << "prune: " << report.error().message << "\n";
    return kExitRuntime;
  }
  std::cout << "prune: " << describe(*report, false) << "\n";
  return kExitOk;
}

}  // namespace chronohook::app
