// check-config and migrate: one-shot commands that print and exit.
#include <sys/stat.h>

#include <iostream>

#include "app/commands.hpp"
#include "chronohook/config.hpp"
#include "chronohook/migrations.hpp"
#include "chronohook/sqlite.hpp"
#include "chronohook/tls.hpp"

namespace chronohook::app {

int check_config(const std::filesystem::path& config_file) {
  auto config = load_config(config_file, ConfigEnvironment::from_process());
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitConfig;
  }
  if (config->server.tls) {
    if (auto ctx = tls::make_server_context(config->server.tls_cert, config->server.tls_key); !ctx) {
      std::cerr << "config: " << ctx.error().message << "\n";
      return kExitConfig;
    }
  }
  const Config& c = *config;
  std::cout << "config " << c.source.string() << ": OK\n";
  std::cout << "listen   " << c.server.listen.to_string();
  if (c.server.tls) {
    std::cout << " (https; certificate " << c.server.tls_cert.string() << ", key " << c.server.tls_key.string()
              << ")\n";
  } else {
    std::cout << " (plain http)\n";
  }
  std::cout << "storage  " << c.storage.path.string() << " (synchronous=" << to_string(c.storage.synchronous) << ")\n";
  for (const WebhookConfig& w : c.webhooks) {
    std::cout << "webhook  " << w.name << " at " << w.path << " (" << 1 + w.previous_secrets.size()
              << " secret(s) accepted, verification " << (w.verify ? "on" : "off") << ")\n";
  }
  for (const std::string& warning : c.warnings) std::cout << "warning  " << warning << "\n";
  return kExitOk;
}

int migrate(const std::filesystem::path& config_file) {
  ::umask(077);
  auto config = load_config(config_file, ConfigEnvironment::from_process());
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitConfig;
  }
  auto db = sqlite::Database::open(config->storage.path, sqlite::Database::Mode::kReadWriteCreate);
  if (!db) {
    std::cerr << "migrate: " << db.error().message << "\n";
    return kExitRuntime;
  }
  if (auto st = db->exec("PRAGMA journal_mode = WAL;"); !st) {
    std::cerr << "migrate: " << st.error().message << "\n";
    return kExitRuntime;
  }
  auto report = chronohook::migrate(*db, embedded_migrations());
  if (!report) {
    std::cerr << report.error().message << "\n";
    return kExitRuntime;
  }
  for (const std::string& name : report->applied) std::cout << "applied  " << name << "\n";
  std::cout << "database " << config->storage.path.string() << " is at schema version " << report->schema_version
            << (report->applied.empty() ? " (nothing to do)" : "") << "\n";
  return kExitOk;
}

}  // namespace chronohook::app
