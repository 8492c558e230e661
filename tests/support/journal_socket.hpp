// Standing in for journald in the black-box tests: a datagram socket that
// receives the journal's native protocol, and a way to make the daemon find
// it at /run/systemd/journal/socket (a private mount namespace, so nothing
// outside the test sees it). Entries are parsed as systemd documents them.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chronohook::testing {

// One datagram: its fields, and the raw bytes (for leak checks).
struct JournalEntry {
  std::map<std::string, std::string> fields;
  std::string raw;

  std::string field(const std::string& name) const;
};

// Parses one native-protocol datagram; nullopt when it is malformed.
std::optional<JournalEntry> parse_journal_datagram(std::string_view datagram);

class JournalSocket {
 public:
  // Binds a SOCK_DGRAM socket at `path`. `receive_buffer` (bytes), when set,
  // shrinks the socket's buffer so that a reader that stops fills it fast.
  explicit JournalSocket(std::filesystem::path path, std::optional<int> receive_buffer = std::nullopt);
  ~JournalSocket();
  JournalSocket(const JournalSocket&) = delete;
  JournalSocket& operator=(const JournalSocket&) = delete;

  // Receives entries until `done` holds for one of them (true) or `timeout`
  // passes (false). Every entry received is kept in entries().
  bool receive_until(const std::function<bool(const JournalEntry&)>& done, std::chrono::milliseconds timeout);
  // Receives whatever arrives until nothing has for `quiet`.
  void drain(std::chrono::milliseconds quiet);

  const std::vector<JournalEntry>& entries() const { return entries_; }
  // Datagrams that did not parse (a test expects none).
  int malformed() const { return malformed_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<JournalEntry> entries_;
  int malformed_ = 0;
};

// Why the daemon cannot be given a private /run here, or nullopt when it
// can: runs `unshare --mount` once (it needs root or CAP_SYS_ADMIN).
std::optional<std::string> private_run_unavailable();

// argv that runs `command` in a private mount namespace whose /run is an
// empty tmpfs with `journal_dir` mounted at /run/systemd/journal. The
// command is exec'd, so its pid and descriptors are the wrapper's.
std::vector<std::string> with_journal_dir(const std::filesystem::path& journal_dir,
                                          const std::vector<std::string>& command);

}  // namespace chronohook::testing
