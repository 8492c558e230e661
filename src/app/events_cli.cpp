// `chronohook events ...`: the options, where the database is, and dispatch.
#include "app/events_cli.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/commands.hpp"
#include "chronohook/config.hpp"

namespace chronohook::app {

// CLI11 writes into plain values; which optional ones were given is read
// from their Option after parsing.
struct EventsCli::Raw {
  EventsArgs args;
  std::string webhook, patient, since, until;
  std::int64_t after = 0;
  std::size_t limit = 0;
  std::vector<CLI::Option*> webhook_opts, patient_opts, since_opts, until_opts, after_opts, limit_opts;
};

namespace {

bool given(const std::vector<CLI::Option*>& options) {
  for (const CLI::Option* o : options) {
    if (o->count() > 0) return true;
  }
  return false;
}

}  // namespace

EventsCli::EventsCli(CLI::App& cli, std::string& config) : config_(config), raw_(std::make_shared<Raw>()) {
  Raw& r = *raw_;
  EventsArgs& a = r.args;
  events_ = cli.add_subcommand("events", "read stored events (read-only; works while serve runs)");
  events_->require_subcommand(1);
  const std::string config_help =
      "configuration file whose [storage] path names the database (default: $CHRONOHOOK_CONFIG or "
      "/etc/chronohook/chronohook.toml)";

  auto common = [&](CLI::App* sub) {
    sub->add_option("-c,--config", config_, config_help);
    sub->add_option("--db", a.db, "the database file itself, instead of the config's [storage] path");
  };
  auto filters = [&](CLI::App* sub) {
    sub->add_option("--event", a.filter.events, "event name, or a prefix ending in * (PATIENT_*); repeatable")
        ->allow_extra_args(false);
    r.webhook_opts.push_back(sub->add_option("--webhook", r.webhook, "only this [[webhook]] name"));
    r.patient_opts.push_back(sub->add_option("--patient", r.patient, "only this patient id"));
    r.since_opts.push_back(
        sub->add_option("--since", r.since, "received at or after: RFC 3339, a date, or an age (2h, 7d)"));
    r.until_opts.push_back(sub->add_option("--until", r.until, "received before: RFC 3339, a date, or an age"));
    r.after_opts.push_back(sub->add_option("--after", r.after, "only seq greater than this (a cursor)"));
  };

  list_ = events_->add_subcommand("list", "list events in seq order (a table on a terminal, else JSON lines)");
  common(list_);
  filters(list_);
  r.limit_opts.push_back(list_->add_option("--limit", r.limit, "at most this many events (default 100)"));
  auto* table = list_->add_flag("--table", a.table, "a table, even when stdout is not a terminal");
  auto* json = list_->add_flag("--json", a.json, "one JSON array");
  auto* jsonl = list_->add_flag("--jsonl", a.jsonl, "one JSON event a line");
  table->excludes(json)->excludes(jsonl);
  json->excludes(jsonl);

  show_ = events_->add_subcommand("show", "print one event with its payload pretty-printed");
  common(show_);
  show_->add_option("event", a.show_key, "a seq (a number) or a delivery id")->required();
  show_->add_flag("--json", a.json, "the event as JSON, payload exactly as stored");

  tail_ = events_->add_subcommand("tail", "the newest events, then (--follow) new ones as they are committed");
  common(tail_);
  filters(tail_);
  tail_->add_option("-n,--lines", a.tail_lines, "how many of the newest events to print first (default 10)");
  tail_->add_flag("-f,--follow", a.follow, "keep printing events as they are committed, until SIGINT/SIGTERM");
  auto* tail_table = tail_->add_flag("--table", a.table, "a table, even when stdout is not a terminal");
  auto* tail_jsonl = tail_->add_flag("--jsonl", a.jsonl, "one JSON event a line");
  tail_table->excludes(tail_jsonl);

  export_ = events_->add_subcommand("export", "write matching events as JSON lines, paging through the database");
  common(export_);
  filters(export_);
  r.limit_opts.push_back(export_->add_option("--limit", r.limit, "at most this many events (default: all)"));
  export_->add_option("-o,--output", a.output, "write to this file (created 0600) instead of stdout");
}

std::optional<int> EventsCli::run() {
  if (!events_->parsed()) return std::nullopt;
  Raw& r = *raw_;
  EventsArgs args = r.args;
  if (given(r.webhook_opts)) args.filter.webhook = r.webhook;
  if (given(r.patient_opts)) args.filter.patient = r.patient;
  if (given(r.since_opts)) args.filter.since = r.since;
  if (given(r.until_opts)) args.filter.until = r.until;
  if (given(r.after_opts)) args.filter.after = r.after;
  if (given(r.limit_opts)) args.filter.limit = r.limit;

  const char* name = list_->parsed() ? "list" : show_->parsed() ? "show" : tail_->parsed() ? "tail" : "export";
  std::filesystem::path db = args.db;
  if (db.empty()) {
    auto config = load_config(config_, ConfigEnvironment::from_process());
    if (!config) {
      std::cerr << "events " << name << ": " << config.error().message
                << "\n(or name the database file with --db PATH)\n";
      return kExitConfig;
    }
    db = config->storage.path;
  }
  if (list_->parsed()) return events_list(db, args);
  if (show_->parsed()) return events_show(db, args);
  if (tail_->parsed()) return events_tail(db, args);
  return events_export(db, args);
}

Status write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{std::string("write failed: ") + std::strerror(errno)};
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

}  // namespace chronohook::app
