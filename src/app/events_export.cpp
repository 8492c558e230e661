// `events export`: every matching event as JSON lines, a page at a time, to
// stdout or to a file written as a temporary file in the same directory
// (mkstemp: O_EXCL, mode 0600) that is fsynced and then renamed over the
// target, so the named file is never seen half-written and never readable
// by others (it holds patient data).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <limits>

#include "app/commands.hpp"
#include "app/events_cli.hpp"

namespace chronohook::app {

namespace {

constexpr std::size_t kPageSize = 1000;
constexpr auto kProgressEvery = std::chrono::milliseconds(100);
constexpr std::size_t kBarWidth = 30;

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int) {
  g_interrupted = 1;
}

std::string errno_text() {
  return std::strerror(errno);
}

// The output file while it is being written: removed unless committed.
class TempOutput {
 public:
  ~TempOutput() {
    if (fd_ >= 0) ::close(fd_);
    if (!temp_.empty()) ::unlink(temp_.c_str());
  }

  Status create(const std::filesystem::path& target) {
    target_ = target;
    std::string pattern = target.string() + ".tmp-XXXXXX";
    fd_ = ::mkstemp(pattern.data());  // O_CREAT | O_EXCL, mode 0600
    if (fd_ < 0) return Error{"cannot create a temporary file beside " + target.string() + ": " + errno_text()};
    temp_ = pattern;
    // mkstemp promises 0600 already; say it explicitly for older libcs.
    if (::fchmod(fd_, 0600) != 0) return Error{"cannot set mode 0600 on " + temp_ + ": " + errno_text()};
    return Status::Ok();
  }

  int fd() const { return fd_; }

  // fsync, close, rename over the target, fsync the directory.
  Status commit() {
    if (::fsync(fd_) != 0) return Error{"fsync " + temp_ + ": " + errno_text()};
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return Error{"close " + temp_ + ": " + errno_text()};
    if (::rename(temp_.c_str(), target_.c_str()) != 0) {
      return Error{"cannot rename the export to " + target_.string() + ": " + errno_text()};
    }
    temp_.clear();
    const std::filesystem::path dir = target_.has_parent_path() ? target_.parent_path() : ".";
    if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return Status::Ok();
  }

 private:
  std::filesystem::path target_;
  std::string temp_;
  int fd_ = -1;
};

// The export's bounds, read in one snapshot so the total matches what the
// pages will return: rows committed after this are left out.
struct Bounds {
  std::int64_t last_seq = 0;
  std::int64_t total = 0;
};

// `want_count`: count() scans every match, so it runs only for the
// progress bar; without it the total is the --limit.
Result<Bounds> read_bounds(EventReader& reader, const EventFilter& filter, bool want_count) {
  const auto limit = static_cast<std::int64_t>(
      std::min<std::size_t>(filter.limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
  if (Status st = reader.database().exec("BEGIN"); !st) return st.error();
  auto last = reader.last_seq();
  auto count = last && want_count ? reader.count(filter) : Result<std::int64_t>(limit);
  (void)reader.database().exec("COMMIT");
  if (!last) return last.error();
  if (!count) return count.error();
  return Bounds{*last, std::min(*count, limit)};
}

}  // namespace

int events_export(const std::filesystem::path& db, const EventsArgs& args) {
  const auto started = std::chrono::steady_clock::now();
  auto filter = build_filter(args.filter, std::numeric_limits<std::int64_t>::max(), std::chrono::system_clock::now());
  if (!filter) {
    std::cerr << command_error("export", filter.error().message) << "\n";
    return kExitConfig;
  }
  auto reader = EventReader::open(db);
  if (!reader) {
    std::cerr << command_error("export", reader.error().message) << "\n";
    return kExitRuntime;
  }
  const bool progress = ::isatty(STDERR_FILENO) == 1;
  auto bounds = read_bounds(*reader, *filter, progress);
  if (!bounds) {
    std::cerr << command_error("export", bounds.error().message) << "\n";
    return kExitRuntime;
  }

  TempOutput file;
  int out_fd = STDOUT_FILENO;
  if (!args.output.empty()) {
    if (Status st = file.create(args.output); !st) {
      std::cerr << command_error("export", st.error().message) << "\n";
      return kExitRuntime;
    }
    out_fd = file.fd();
  }
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  auto last_drawn = std::chrono::steady_clock::time_point{};
  std::int64_t exported = 0, first_seq = 0, last_seq = 0;
  std::uint64_t bytes = 0;
  EventFilter page = *filter;
  std::string out;
  bool done = false;
  while (!done && exported < bounds->total) {
    if (g_interrupted) {
      if (progress) std::cerr << "\n";
      std::cerr << "events export: interrupted after " << exported << " events"
                << (args.output.empty() ? "" : "; " + args.output + " was not written") << "\n";
      return kExitRuntime;
    }
    page.limit = static_cast<std::size_t>(std::min<std::int64_t>(bounds->total - exported, kPageSize));
    auto rows = reader->list(page);
    if (!rows) {
      std::cerr << command_error("export", rows.error().message) << "\n";
      return kExitRuntime;
    }
    done = rows->size() < page.limit;
    out.clear();
    for (const StoredEvent& e : *rows) {
      if (e.seq > bounds->last_seq) {
        done = true;
        break;
      }
      append_event_json(out, e);
      out += '\n';
      if (exported++ == 0) first_seq = e.seq;
      last_seq = e.seq;
    }
    if (Status st = write_all(out_fd, out); !st) {
      std::cerr << "events export: " << (args.output.empty() ? "stdout" : args.output) << ": " << st.error().message
                << "\n";
      return kExitRuntime;
    }
    bytes += out.size();
    if (!rows->empty()) page.after = rows->back().seq;
    if (progress && std::chrono::steady_clock::now() - last_drawn >= kProgressEvery) {
      std::cerr << "\r" << progress_bar(exported, bounds->total, kBarWidth) << std::flush;
      last_drawn = std::chrono::steady_clock::now();
    }
  }
  if (progress) std::cerr << "\r" << progress_bar(exported, bounds->total, kBarWidth) << "\n";
  if (!args.output.empty()) {
    if (Status st = file.commit(); !st) {
      std::cerr << command_error("export", st.error().message) << "\n";
      return kExitRuntime;
    }
  }
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  std::cerr << export_summary(exported, first_seq, last_seq, bytes, elapsed)
            << (args.output.empty() ? "" : " to " + args.output) << "\n";
  return kExitOk;
}

}  // namespace chronohook::app
