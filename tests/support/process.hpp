// Child processes for the black-box tests: the daemon and one-shot commands.
// Every process started here is reaped by its owner; a test that fails or
// throws still kills and waits for it (and the kernel kills it if the test
// binary itself dies, see PR_SET_PDEATHSIG in process.cpp).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chronohook::testing {

// The environment a child gets: the test's own, minus every variable the
// daemon would read as configuration (CHRONOHOOK_* in any case, CREDENTIALS_DIRECTORY)
// or act on (NOTIFY_SOCKET), plus `extra`.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra);

// A started child process. Move-only; the destructor SIGKILLs and reaps a
// child that is still running.
class ChildProcess {
 public:
  // Starts `argv[0]` with `argv`, stdout and stderr appended to `output_file`
  // (or to the test's own stderr when empty). Throws std::runtime_error when
  // fork fails; an exec failure shows as exit code 127.
  static ChildProcess spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                            const std::filesystem::path& output_file);

  // `nofile_limit`, when set, becomes both the soft and the hard
  // RLIMIT_NOFILE of the child (set after fork, before exec): a daemon that
  // cannot raise its own limit, as under a unit with a low LimitNOFILE=.
  static ChildProcess spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                            const std::filesystem::path& output_file, std::optional<std::uint64_t> nofile_limit);
  // `pass_fds` become the child's descriptors 3, 4, ... (the way systemd
  // passes sockets); every other descriptor from 3 up is closed.
  static ChildProcess spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                            const std::filesystem::path& output_file, std::optional<std::uint64_t> nofile_limit,
                            const std::vector<int>& pass_fds);

  // The same with the child's stdout and stderr on descriptors the caller
  // owns (and closes after this returns).
  static ChildProcess spawn_with_fds(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                     int stdout_fd, int stderr_fd,
                                     std::optional<std::uint64_t> nofile_limit = std::nullopt,
                                     const std::vector<int>& pass_fds = {});

  ChildProcess() = default;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running();  // reaps the child if it has exited

  // Sends `signo` if the child is still running.
  void signal(int signo);

  // Waits until the child exits or `timeout` passes. Returns its exit code
  // (128 + signal number when killed), or nullopt on timeout.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);

  // SIGKILL and reap; returns the exit code. No-op when already reaped.
  int kill_and_reap();

  std::optional<int> exit_code() const { return exit_code_; }

 private:
  void reap_status(int status);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed
  bool timed_out = false;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs a command to completion with stdout and stderr captured separately,
// killing it after `timeout`.
CommandResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
                          std::chrono::milliseconds timeout);

}  // namespace chronohook::testing
