#include "checkpointer.hpp"

#include <sqlite3.h>

#include <spdlog/spdlog.h>

namespace chronohook {

Result<std::unique_ptr<Checkpointer>> Checkpointer::start(sqlite::Database& writer, const std::filesystem::path& path) {
  auto own = sqlite::Database::open(path, sqlite::Database::Mode::kReadWrite);
  if (!own) return Error{"store: checkpoint connection: " + own.error().message};
  // A connection opens the database lazily, and a checkpoint on one that has
  // not yet read it is a silent no-op: read it now.
  if (auto st = own->exec("PRAGMA journal_mode = WAL"); !st) {
    return Error{"store: checkpoint connection: " + st.error().message};
  }
  std::unique_ptr<Checkpointer> c(new Checkpointer(writer, std::move(*own)));
  sqlite3_wal_hook(writer.handle(), &Checkpointer::on_commit, c.get());
  c->thread_ = std::thread([raw = c.get()] { raw->run(); });
  return c;
}

Checkpointer::Checkpointer(sqlite::Database& writer, sqlite::Database own) : writer_(writer), own_(std::move(own)) {}

Checkpointer::~Checkpointer() {
  stop();
}

void Checkpointer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  sqlite3_wal_hook(writer_.handle(), nullptr, nullptr);
}

Checkpointer::Step Checkpointer::after_commit(int wal_pages, int& pages_at_last_request) {
  if (wal_pages >= kWriterPages) {
    pages_at_last_request = 0;  // the WAL starts over once this checkpoint is complete
    return Step::kCheckpointOnWriter;
  }
  if (wal_pages < pages_at_last_request) pages_at_last_request = 0;  // the WAL restarted
  // Ask again only once as much new WAL has piled up: re-running after every
  // commit would copy a few pages and fsync the database each time. Close to
  // the writer's limit, ask after every commit instead (see kNearLimitPages).
  const bool near_writer_limit = wal_pages >= kWriterPages - kNearLimitPages;
  if (near_writer_limit || wal_pages - pages_at_last_request >= kBackgroundPages) {
    pages_at_last_request = wal_pages;
    return Step::kAskBackground;
  }
  return Step::kNothing;
}

int Checkpointer::on_commit(void* raw, sqlite3* db, const char* name, int wal_pages) {
  auto* self = static_cast<Checkpointer*>(raw);
  bool wake = false;
  Step step = Step::kNothing;
  {
    std::lock_guard lock(self->mutex_);
    step = after_commit(wal_pages, self->pages_at_last_request_);
    if (step == Step::kAskBackground) {
      wake = !self->wanted_;
      self->wanted_ = true;
    }
  }
  if (wake) self->wake_.notify_one();
  if (step == Step::kCheckpointOnWriter) {
    // Most of the WAL is already copied by the background thread; this copies
    // the rest so the next transaction can start the WAL over.
    // SQLITE_BUSY means the background thread is checkpointing right now:
    // nothing was done here, and the next commit tries again.
    const int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    std::lock_guard lock(self->mutex_);
    if (rc == SQLITE_OK) ++self->by_writer_;
  }
  return SQLITE_OK;
}

void Checkpointer::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || wanted_; });
      if (stopping_) return;
      wanted_ = false;
    }
    int wal_pages = 0;
    int copied = 0;
    const int rc = sqlite3_wal_checkpoint_v2(own_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      spdlog::warn("store: background checkpoint failed: {}", own_.last_error());
    }
    std::lock_guard lock(mutex_);
    if (rc == SQLITE_OK) ++background_;
  }
}

std::uint64_t Checkpointer::background_checkpoints() const {
  std::lock_guard lock(mutex_);
  return background_;
}

std::uint64_t Checkpointer::writer_checkpoints() const {
  std::lock_guard lock(mutex_);
  return by_writer_;
}

}  // namespace chronohook
