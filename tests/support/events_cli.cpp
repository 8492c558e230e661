#include "support/events_cli.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

namespace chronohook::testing {
namespace {

using Json = nlohmann::ordered_json;

std::string read_whole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<std::string> optional_text(const Json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return j.at(key).get<std::string>();
}

CliEvent from_json(const Json& j) {
  CliEvent e;
  e.seq = j.at("seq").get<std::int64_t>();
  e.webhook = j.at("webhook").get<std::string>();
  e.delivery_id = j.at("delivery_id").get<std::string>();
  e.event = j.at("event").get<std::string>();
  e.received_at = j.at("received_at").get<std::string>();
  e.patient_id = optional_text(j, "patient_id");
  e.attempts = j.at("attempts").get<std::int64_t>();
  e.payload_is_object = j.at("payload").is_object();
  e.payload = j.at("payload").dump();
  for (auto it = j.begin(); it != j.end(); ++it) e.keys.push_back(it.key());
  return e;
}

}  // namespace

CliEvent parse_cli_event(std::string_view json_object) {
  try {
    return from_json(Json::parse(json_object));
  } catch (const std::exception& e) {
    throw std::runtime_error("not an event (" + std::string(e.what()) + "): " + std::string(json_object));
  }
}

std::vector<CliEvent> parse_event_lines(std::string_view text) {
  std::vector<CliEvent> out;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    if (end == std::string_view::npos) throw std::runtime_error("unterminated last line: " + std::string(text));
    out.push_back(parse_cli_event(text.substr(0, end)));
    text.remove_prefix(end + 1);
  }
  return out;
}

std::vector<CliEvent> parse_event_array(std::string_view text) {
  std::vector<CliEvent> out;
  try {
    const Json array = Json::parse(text);
    if (!array.is_array()) throw std::runtime_error("not a JSON array");
    for (const Json& j : array) out.push_back(from_json(j));
  } catch (const std::exception& e) {
    throw std::runtime_error("not an array of events (" + std::string(e.what()) + "): " + std::string(text));
  }
  return out;
}

std::vector<std::int64_t> seqs_of(const std::vector<CliEvent>& events) {
  std::vector<std::int64_t> out;
  for (const CliEvent& e : events) out.push_back(e.seq);
  return out;
}

std::string canonical_json(std::string_view text) {
  return Json::parse(text).dump();
}

BackgroundCommand::BackgroundCommand(const std::filesystem::path& dir, const std::vector<std::string>& args) {
  static std::atomic<int> counter{0};
  const std::string stem = "cmd-" + std::to_string(counter++);
  out_path_ = dir / (stem + ".out");
  err_path_ = dir / (stem + ".err");
  const int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0 || err < 0) throw std::runtime_error("BackgroundCommand: cannot create output files");
  std::vector<std::string> argv{chronohook_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  try {
    process_ = ChildProcess::spawn_with_fds(argv, child_environment({}), out, err);
  } catch (...) {
    ::close(out);
    ::close(err);
    throw;
  }
  ::close(out);
  ::close(err);
}

std::string BackgroundCommand::out() const {
  return read_whole(out_path_);
}

std::string BackgroundCommand::err() const {
  return read_whole(err_path_);
}

bool BackgroundCommand::wait_for_lines(std::size_t lines, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::string text = out();
    if (static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) >= lines) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace chronohook::testing
