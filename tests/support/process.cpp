#include "support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

extern char** environ;

namespace chronohook::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::vector<char*> pointers(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Runs in the forked child of a multi-threaded parent: async-signal-safe calls only.
[[noreturn]] void exec_child(char* const* argv, char* const* envp, int stdin_fd, int stdout_fd, int stderr_fd,
                             pid_t parent, const rlimit* nofile, const int* pass_fds, int pass_count) {
  // If the test binary dies (crash, timeout kill), take the child with it.
  // The signal follows the thread that forked; GoogleTest runs tests on the
  // main thread, which lives as long as the process.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(126);

  // Signals the test process may have blocked or ignored must not leak into
  // the daemon: it relies on SIGTERM/SIGINT reaching its signal_set.
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int signo : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) ::sigaction(signo, &dfl, nullptr);

  if (nofile != nullptr && ::setrlimit(RLIMIT_NOFILE, nofile) != 0) ::_exit(124);
  if (::dup2(stdin_fd, 0) < 0 || ::dup2(stdout_fd, 1) < 0 || ::dup2(stderr_fd, 2) < 0) ::_exit(125);
  // Passed descriptors: first out of the way (a source may sit on a target
  // number), then onto 3, 4, ...; dup2 leaves them without FD_CLOEXEC.
  std::array<int, 16> parked{};
  if (pass_count > static_cast<int>(parked.size())) ::_exit(123);
  for (int i = 0; i < pass_count; ++i) {
    parked[static_cast<std::size_t>(i)] = ::fcntl(pass_fds[i], F_DUPFD, 3 + pass_count);
    if (parked[static_cast<std::size_t>(i)] < 0) ::_exit(123);
  }
  for (int i = 0; i < pass_count; ++i) {
    if (::dup2(parked[static_cast<std::size_t>(i)], 3 + i) < 0) ::_exit(123);
  }
  // The child must not inherit the test's sockets or SQLite descriptors: a
  // held lock or an open connection would change what the test observes.
  const int first_closed = 3 + pass_count;
  if (::close_range(static_cast<unsigned>(first_closed), ~0U, 0) != 0) {
    for (int fd = first_closed; fd < 4096; ++fd) ::close(fd);
  }
  ::execve(argv[0], argv, envp);
  ::_exit(127);
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('='));
    std::string upper(name);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper.starts_with("CHRONOHOOK_") || name == "CREDENTIALS_DIRECTORY" || name == "NOTIFY_SOCKET") continue;
    if (extra.contains(std::string(name))) continue;
    env.emplace_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                 const std::filesystem::path& output_file) {
  return spawn(argv, env, output_file, std::nullopt);
}

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                 const std::filesystem::path& output_file, std::optional<std::uint64_t> nofile_limit) {
  return spawn(argv, env, output_file, nofile_limit, {});
}

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                 const std::filesystem::path& output_file, std::optional<std::uint64_t> nofile_limit,
                                 const std::vector<int>& pass_fds) {
  int out = 2;
  if (!output_file.empty()) {
    out = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (out < 0) throw std::runtime_error("process: cannot open " + output_file.string() + ": " + std::strerror(errno));
  }
  try {
    ChildProcess child = spawn_with_fds(argv, env, out, out, nofile_limit, pass_fds);
    if (out != 2) ::close(out);
    return child;
  } catch (...) {
    if (out != 2) ::close(out);
    throw;
  }
}

ChildProcess ChildProcess::spawn_with_fds(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                          int stdout_fd, int stderr_fd, std::optional<std::uint64_t> nofile_limit,
                                          const std::vector<int>& pass_fds) {
  if (argv.empty()) throw std::runtime_error("process: empty argv");
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls are allowed.
  std::vector<char*> argv_ptrs = pointers(argv);
  std::vector<char*> env_ptrs = pointers(env);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) throw std::runtime_error("process: cannot open /dev/null");
  const pid_t parent = ::getpid();
  rlimit nofile{};
  if (nofile_limit) nofile.rlim_cur = nofile.rlim_max = static_cast<rlim_t>(*nofile_limit);

  const pid_t pid = ::fork();
  if (pid == 0)
    exec_child(argv_ptrs.data(), env_ptrs.data(), null_fd, stdout_fd, stderr_fd, parent,
               nofile_limit ? &nofile : nullptr, pass_fds.data(), static_cast<int>(pass_fds.size()));
  const int fork_errno = errno;
  ::close(null_fd);
  if (pid < 0) throw std::runtime_error(std::string("process: fork failed: ") + std::strerror(fork_errno));
  ChildProcess child;
  child.pid_ = pid;
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), exit_code_(std::exchange(other.exit_code_, std::nullopt)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = std::exchange(other.pid_, -1);
    exit_code_ = std::exchange(other.exit_code_, std::nullopt);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  kill_and_reap();
}

void ChildProcess::reap_status(int status) {
  exit_code_ = decode_status(status);
  pid_ = -1;
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reap_status(status);
    return false;
  }
  if (r < 0 && errno == ECHILD) {
    pid_ = -1;  // reaped elsewhere; nothing left to wait for
    return false;
  }
  return true;
}

void ChildProcess::signal(int signo) {
  if (running()) ::kill(pid_, signo);
}

std::optional<int> ChildProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    if (!running()) return exit_code_;
    if (SteadyClock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int ChildProcess::kill_and_reap() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    pid_t r = 0;
    do {
      r = ::waitpid(pid_, &status, 0);
    } while (r < 0 && errno == EINTR);
    if (r == pid_) {
      reap_status(status);
    } else {
      pid_ = -1;
    }
  }
  return exit_code_.value_or(-1);
}

CommandResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
                          std::chrono::milliseconds timeout) {
  std::array<int, 2> out_pipe{-1, -1};
  std::array<int, 2> err_pipe{-1, -1};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) throw std::runtime_error("process: pipe2 failed");
  if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw std::runtime_error("process: pipe2 failed");
  }
  ChildProcess child;
  try {
    child = ChildProcess::spawn_with_fds(argv, child_environment(extra_env), out_pipe[1], err_pipe[1]);
  } catch (...) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
    throw;
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  CommandResult result;
  const auto deadline = SteadyClock::now() + timeout;
  std::array<pollfd, 2> fds{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (const pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  if (!result.timed_out) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    auto code = child.wait_for_exit(std::max(left, std::chrono::milliseconds(100)));
    if (code) {
      result.exit_code = *code;
      return result;
    }
    result.timed_out = true;
  }
  result.exit_code = child.kill_and_reap();
  return result;
}

}  // namespace chronohook::testing
