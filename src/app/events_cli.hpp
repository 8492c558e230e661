// `chronohook events list|show|tail|export`: reading stored events from the
// command line, through a read-only connection of its own (EventReader), so
// it works while `serve` runs. Private to src/app.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/events_format.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace chronohook::app {

// What the `events` subcommands were given, once CLI11 has parsed it.
struct EventsArgs {
  std::string db;  // --db: the database file, bypassing the config
  FilterOptions filter;
  bool table = false;
  bool json = false;
  bool jsonl = false;
  std::string show_key;         // show: a seq or a delivery id
  std::size_t tail_lines = 10;  // tail -n
  bool follow = false;          // tail --follow
  std::string output;           // export --output
};

// Registers `events` and its subcommands on `cli`; `config` is main's
// -c/--config value (the same default as the other subcommands).
class EventsCli {
 public:
  EventsCli(CLI::App& cli, std::string& config);

  // After a successful parse: the exit code when an `events` subcommand was
  // given, nullopt otherwise.
  std::optional<int> run();

 private:
  struct Raw;  // option storage CLI11 writes into

  CLI::App* events_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* tail_ = nullptr;
  CLI::App* export_ = nullptr;
  std::string& config_;
  std::shared_ptr<Raw> raw_;
};

// The commands proper, one file each. Each prints its own errors (prefixed
// `events <command>: `) and returns the exit code: 0, 1 runtime failure or
// nothing found, 2 bad input.
int events_list(const std::filesystem::path& db, const EventsArgs& args);
int events_show(const std::filesystem::path& db, const EventsArgs& args);
int events_tail(const std::filesystem::path& db, const EventsArgs& args);
int events_export(const std::filesystem::path& db, const EventsArgs& args);

// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
Status write_all(int fd, std::string_view bytes);

}  // namespace chronohook::app
