// SIGHUP: read the configuration again, exactly as at start, and apply what
// can change while connections stay open: the TLS certificates, webhook
// secrets (previous ones included) and verify switches, consumer tokens,
// log.level. Everything else that changed is refused, one log line per
// setting, and a summary line says what came of it. docs/configuration.md
// ("Reloading") is the operator's side of this.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "chronohook/config.hpp"

namespace chronohook::net {
class Server;
}
namespace chronohook::admin {
class Server;
}

namespace chronohook::app {

class Reloader {
 public:
  // `running`: the configuration as loaded at start (before the connection
  // cap was fitted to the open-file limit). `webhook_tls`: the webhook
  // listener's context, null for plain HTTP. `admin` may be null.
  Reloader(std::filesystem::path config_file, Config running, net::Server& server,
           std::shared_ptr<boost::asio::ssl::context> webhook_tls, admin::Server* admin);

  // One reload, start to summary line. Not reentrant: call from one place
  // (the signal handler) at a time.
  void reload();

 private:
  struct Report;
  void reload_certificates(const Config* next, Report& report);
  void apply_webhooks(const Config& next, Report& report);
  void apply_consumers(const Config& next, Report& report);
  void apply_log_level(const Config& next, Report& report);

  std::filesystem::path config_file_;
  Config live_;  // what runs: the start configuration with every applied reload
  net::Server& server_;
  admin::Server* admin_;
  std::string webhook_chain_;  // fingerprints of the certificates being served
  std::string admin_chain_;
};

// Wipes the secrets and tokens in `config`, for serve() once the handlers
// and the Reloader have their own copies: a secret a reload rotates out must
// not live on in the start-up configuration until the process exits.
void drop_secrets(Config& config);

}  // namespace chronohook::app
