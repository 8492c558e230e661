// Driving `chronohook events ...` from the black-box tests: its JSON output
// parsed (with nlohmann, so the test files stay free of it) and a command
// kept running in the background (`events tail --follow`).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/daemon.hpp"
#include "support/process.hpp"

namespace chronohook::testing {

// One event as the CLI printed it.
struct CliEvent {
  std::int64_t seq = 0;
  std::string webhook;
  std::string delivery_id;
  std::string event;
  std::string received_at;
  std::optional<std::string> patient_id;
  std::int64_t attempts = 0;
  bool payload_is_object = false;
  std::string payload;            // the payload re-serialized: compare with canonical_json()
  std::vector<std::string> keys;  // the event object's keys, in order
};

// Throw std::runtime_error (naming the line) on anything that is not an event.
CliEvent parse_cli_event(std::string_view json_object);
std::vector<CliEvent> parse_event_lines(std::string_view text);  // JSON lines
std::vector<CliEvent> parse_event_array(std::string_view text);  // one JSON array
std::vector<std::int64_t> seqs_of(const std::vector<CliEvent>& events);

// `text` parsed and serialized again, so two JSON texts compare by value.
std::string canonical_json(std::string_view text);

// A `chronohook ...` process left running, stdout and stderr in files of
// `dir`. The destructor kills and reaps it.
class BackgroundCommand {
 public:
  BackgroundCommand(const std::filesystem::path& dir, const std::vector<std::string>& args);

  std::string out() const;
  std::string err() const;
  // Waits (bounded) until stdout holds at least `lines` complete lines.
  bool wait_for_lines(std::size_t lines, std::chrono::milliseconds timeout) const;
  pid_t pid() const { return process_.pid(); }
  void signal(int signo) { process_.signal(signo); }
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout) { return process_.wait_for_exit(timeout); }

 private:
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
  ChildProcess process_;
};

}  // namespace chronohook::testing
