// chronohook: the drchrono webhook receiver. Parses the command line and hands
// over to a subcommand.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

#include "app/commands.hpp"
#include "app/events_cli.hpp"
#include "chronohook/version.hpp"

int main(int argc, char** argv) {
  namespace app = chronohook::app;

  CLI::App cli{"chronohook: receives drchrono webhooks and stores each one durably in SQLite"};
  cli.set_version_flag("--version", std::string("chronohook ") + chronohook::kVersion);
  cli.require_subcommand(1);

  const char* env_config = std::getenv("CHRONOHOOK_CONFIG");
  std::string config = env_config && *env_config ? env_config : "/etc/chronohook/chronohook.toml";
  const std::string config_help = "configuration file (default: $CHRONOHOOK_CONFIG or /etc/chronohook/chronohook.toml)";

  auto* serve = cli.add_subcommand("serve", "run the receiver");
  serve->add_option("-c,--config", config, config_help);
  auto* check = cli.add_subcommand("check-config", "validate the configuration and print what it serves");
  check->add_option("-c,--config", config, config_help);
  auto* migrate = cli.add_subcommand("migrate", "apply pending database migrations and exit");
  migrate->add_option("-c,--config", config, config_help);
  auto* prune =
      cli.add_subcommand("prune", "delete the events [retention] no longer keeps, as serve does periodically");
  prune->add_option("-c,--config", config, config_help);
  bool prune_dry_run = false;
  prune->add_flag("--dry-run", prune_dry_run, "print what would be deleted and delete nothing");
  auto* health = cli.add_subcommand(
      "healthcheck", "exit 0 when the running daemon's /readyz ([admin] listener) answers 200, 1 otherwise");
  health->add_option("-c,--config", config, config_help);
  int health_timeout = 5;
  health->add_option("--timeout", health_timeout, "seconds to wait for the answer (default 5)")
      ->check(CLI::Range(1, 60));
  app::EventsCli events(cli, config);  // events list|show|tail|export

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    cli.exit(e);
    return app::kExitConfig;
  }

  if (serve->parsed()) return app::serve(config);
  if (check->parsed()) return app::check_config(config);
  if (migrate->parsed()) return app::migrate(config);
  if (prune->parsed()) return app::prune(config, prune_dry_run);
  if (health->parsed()) return app::healthcheck(config, std::chrono::seconds(health_timeout));
  if (auto code = events.run()) return *code;
  return app::kExitConfig;
}
