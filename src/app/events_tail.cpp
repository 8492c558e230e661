// `events tail [--follow]`: the newest events, then new ones as they commit.
//
// Following never polls in a loop: it sleeps in poll() on an inotify watch
// of the database's directory (which reports writes to the -wal file
// however often the daemon creates, deletes or resets it, and the database
// file itself) and a signalfd for SIGINT/SIGTERM. Each wake reads
// `seq > cursor`; seq is never reused and rows commit in seq order, so
// reading after the highest seq seen misses nothing and repeats nothing,
// whether the daemon restarts (the reader is reopened if a read fails or
// the file is replaced) or tail does (`--after SEQ` resumes).
#include <poll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <optional>
#include <utility>

#include "app/commands.hpp"
#include "app/events_cli.hpp"

namespace chronohook::app {

namespace {

constexpr std::size_t kPageSize = 1000;
// A WAL write wakes us before the commit is visible (the wal-index in the
// -shm is updated through mmap, which inotify does not see), so a wake is
// followed by a few re-reads at growing intervals, then the fallback: an
// upper bound on how late a commit nothing announced can be seen.
constexpr std::array<int, 3> kSettleMs{25, 100, 400};
constexpr int kFallbackMs = 1000;

class Follower {
 public:
  Follower(std::filesystem::path db, EventFilter filter, OutputFormat format)
      : db_(std::move(db)), filter_(std::move(filter)), format_(format) {
    widths_ = {6, 24, 8, 20, 36, 8, 8};
  }

  // Opens the reader; the first open's failure ends the command.
  Status open() {
    auto reader = EventReader::open(db_);
    if (!reader) return reader.error();
    reader_.emplace(std::move(*reader));
    struct stat st {};
    if (::stat(db_.c_str(), &st) == 0) file_id_ = {st.st_dev, st.st_ino};
    if (outage_reported_) std::cerr << "events tail: reading " << db_.string() << " again\n";
    outage_reported_ = false;
    return Status::Ok();
  }

  // The newest `n` matches, then the cursor at the newest seq of the same
  // snapshot, so nothing committed in between is skipped.
  Status print_newest(std::size_t n) {
    EventFilter newest = filter_;
    newest.newest = true;
    newest.limit = n;
    std::vector<StoredEvent> rows;
    std::optional<std::int64_t> hi;
    if (Status st = snapshot([&]() -> Status {
          if (n > 0) {
            auto r = reader_->list(newest);
            if (!r) return r.error();
            rows = std::move(*r);
          }
          auto last = reader_->last_seq();
          if (!last) return last.error();
          hi = *last;
          return Status::Ok();
        });
        !st) {
      return st;
    }
    if (Status st = print(rows); !st) return st;
    cursor_ = std::max(filter_.after, *hi);
    return Status::Ok();
  }

  // Prints every match after the cursor. While following (`tolerate`), a
  // failed read drops the reader (reopened on a later wake) and is reported
  // once per outage, and only a failed write to stdout is returned.
  Status catch_up(bool tolerate) {
    if (reader_ && replaced()) reader_.reset();
    if (!reader_) {
      if (Status st = open(); !st) {
        if (!tolerate) return st;
        report_outage(st.error().message);
        return Status::Ok();
      }
    }
    for (;;) {
      EventFilter page = filter_;
      page.after = cursor_;
      page.limit = kPageSize;
      std::vector<StoredEvent> rows;
      std::optional<std::int64_t> hi;
      Status st = snapshot([&]() -> Status {
        auto r = reader_->list(page);
        if (!r) return r.error();
        rows = std::move(*r);
        if (rows.size() < kPageSize) {
          auto last = reader_->last_seq();
          if (!last) return last.error();
          hi = *last;
        }
        return Status::Ok();
      });
      if (!st) {
        reader_.reset();
        if (!tolerate) return st;
        report_outage(st.error().message);
        return Status::Ok();
      }
      if (Status w = print(rows); !w) return w;
      if (!rows.empty()) cursor_ = rows.back().seq;
      // Every match up to `hi` was in this page, so the cursor may move
      // past the rows that did not match.
      if (hi) {
        cursor_ = std::max(cursor_, *hi);
        return Status::Ok();
      }
    }
  }

  void set_cursor(std::int64_t seq) { cursor_ = seq; }

 private:
  // Runs `reads` in one read transaction: one consistent snapshot.
  template <typename Reads>
  Status snapshot(Reads&& reads) {
    if (Status st = reader_->database().exec("BEGIN"); !st) return st;
    Status st = reads();
    (void)reader_->database().exec("COMMIT");
    return st;
  }

  Status print(const std::vector<StoredEvent>& rows) {
    std::string out;
    if (format_ == OutputFormat::kTable) {
      if (!rows.empty() || !header_printed_) out = format_table(rows, !header_printed_, &widths_);
      header_printed_ = true;
    } else {
      for (const StoredEvent& e : rows) {
        append_event_json(out, e);
        out += '\n';
      }
    }
    if (Status st = write_all(STDOUT_FILENO, out); !st) return Error{"stdout: " + st.error().message};
    return Status::Ok();
  }

  // True when the path now names another file than the one opened (a
  // restore, or a new database in its place).
  bool replaced() const {
    struct stat st {};
    if (::stat(db_.c_str(), &st) != 0) return true;
    return file_id_ != std::pair{st.st_dev, st.st_ino};
  }

  void report_outage(const std::string& why) {
    if (outage_reported_) return;
    outage_reported_ = true;
    std::cerr << command_error("tail", why) << "; still following, will read again when it can\n";
  }

  std::filesystem::path db_;
  EventFilter filter_;
  OutputFormat format_;
  std::optional<EventReader> reader_;
  std::pair<dev_t, ino_t> file_id_{};
  std::int64_t cursor_ = 0;
  bool header_printed_ = false;
  bool outage_reported_ = false;
  TableWidths widths_{};
};

// The directory watch: true when the batch of inotify events read from
// `fd` concerns the database, its WAL or its journal.
bool drain_inotify(int fd, const std::string& base, bool& watch_lost) {
  alignas(inotify_event) std::array<char, 4096> buf{};
  bool relevant = false;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n <= 0) break;
    for (ssize_t at = 0; at < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf.data() + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) watch_lost = true;
      if (ev->mask & IN_Q_OVERFLOW) relevant = true;
      if (ev->len == 0) continue;
      const std::string_view name(ev->name);
      if (name == base || name == base + "-wal" || name == base + "-journal" || name == base + "-shm") {
        relevant = true;
      }
    }
  }
  return relevant;
}

constexpr std::uint32_t kWatchMask =
    IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF;

std::filesystem::path directory_of(const std::filesystem::path& db) {
  return db.has_parent_path() ? db.parent_path() : ".";
}

int follow(Follower& follower, const std::filesystem::path& db, int signal_fd, int inotify_fd, int watch) {
  using Clock = std::chrono::steady_clock;
  const std::filesystem::path dir = directory_of(db);
  const std::string base = db.filename().string();
  std::size_t settle = kSettleMs.size();
  // The next read nothing announced: kept as a deadline, so a directory
  // whose other files change all the time cannot postpone it.
  auto next_read = Clock::now() + std::chrono::milliseconds(kFallbackMs);
  for (;;) {
    std::array<pollfd, 2> fds{{{signal_fd, POLLIN, 0}, {inotify_fd, POLLIN, 0}}};
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_read - Clock::now());
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<std::int64_t>(0, wait.count())));
    if (n < 0 && errno != EINTR) {
      std::cerr << "events tail: poll failed: " << std::strerror(errno) << "\n";
      return kExitRuntime;
    }
    if (n > 0 && (fds[0].revents & POLLIN)) return kExitOk;  // SIGINT or SIGTERM: a clean end
    bool watch_lost = watch < 0;
    const bool woke = n > 0 && (fds[1].revents & POLLIN) && drain_inotify(inotify_fd, base, watch_lost);
    if (watch_lost) watch = ::inotify_add_watch(inotify_fd, dir.c_str(), kWatchMask);
    if (!woke && Clock::now() < next_read) continue;  // another file in the directory
    if (Status st = follower.catch_up(true); !st) {
      std::cerr << command_error("tail", st.error().message) << "\n";
      return kExitRuntime;
    }
    settle = woke ? 0 : std::min(settle + 1, kSettleMs.size());
    next_read = Clock::now() + std::chrono::milliseconds(settle < kSettleMs.size() ? kSettleMs[settle] : kFallbackMs);
  }
}

// The descriptors a follow sleeps on, closed on every path out.
struct Fds {
  int signal_fd = -1;
  int inotify_fd = -1;
  ~Fds() {
    if (signal_fd >= 0) ::close(signal_fd);
    if (inotify_fd >= 0) ::close(inotify_fd);
  }
};

}  // namespace

int events_tail(const std::filesystem::path& db, const EventsArgs& args) {
  FilterOptions options = args.filter;
  options.limit.reset();  // tail has -n, not --limit
  auto filter = build_filter(options, kPageSize, std::chrono::system_clock::now());
  if (!filter) {
    std::cerr << command_error("tail", filter.error().message) << "\n";
    return kExitConfig;
  }
  const OutputFormat format = choose_format(args.table, false, args.jsonl, ::isatty(STDOUT_FILENO) == 1);

  Fds fds;
  int watch = -1;
  if (args.follow) {
    // Signals become readable events, so a Ctrl-C ends the wait in poll()
    // and the command exits 0 after the line it was printing. A shell starts a background job with SIGINT ignored, and
    // an ignored signal never reaches a signalfd: take the default back (it is blocked right after, so it cannot kill
    // us).
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGINT, &dfl, nullptr);
    ::sigaction(SIGTERM, &dfl, nullptr);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    if (::sigprocmask(SIG_BLOCK, &mask, nullptr) != 0 || (fds.signal_fd = ::signalfd(-1, &mask, SFD_CLOEXEC)) < 0 ||
        (fds.inotify_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
      std::cerr << "events tail: cannot set up the wait for new events\n";
      return kExitRuntime;
    }
    // Watched before the first read, so a commit between the two wakes us.
    // A missing directory is retried on every wake; the fallback still reads.
    watch = ::inotify_add_watch(fds.inotify_fd, directory_of(db).c_str(), kWatchMask);
  }

  Follower follower(db, *filter, format);
  if (Status st = follower.open(); !st) {
    std::cerr << command_error("tail", st.error().message) << "\n";
    return kExitRuntime;
  }
  if (args.filter.after) {
    // Resuming: everything after SEQ, however many.
    follower.set_cursor(filter->after);
  } else if (Status st = follower.print_newest(args.tail_lines); !st) {
    std::cerr << command_error("tail", st.error().message) << "\n";
    return kExitRuntime;
  }
  // With --after, everything after SEQ; with --follow, whatever committed
  // since the snapshot above. A plain tail is done.
  if (!args.filter.after && !args.follow) return kExitOk;
  if (Status st = follower.catch_up(false); !st) {
    std::cerr << command_error("tail", st.error().message) << "\n";
    return kExitRuntime;
  }
  if (!args.follow) return kExitOk;
  return follow(follower, db, fds.signal_fd, fds.inotify_fd, watch);
}

}  // namespace chronohook::app
