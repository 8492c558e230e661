#include "chronohook/event_store.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>

#include "checkpointer.hpp"
#include "commit_timer.hpp"
#include "chronohook/migrations.hpp"

namespace chronohook {
namespace {

// The new-row and conflicting-row inserts take the same nine parameters.
void bind_row(sqlite::Statement& insert, const EventRecord& r) {
  insert.bind(1, r.webhook)
      .bind(2, r.delivery_id)
      .bind(3, r.event)
      .bind(4, r.received_at)
      .bind(5, r.payload)
      .bind_optional(6, r.object_id)
      .bind_optional(7, r.patient_id)
      .bind_optional(8, r.practice_group_id)
      .bind_blob(9, r.payload_sha256);
}

// The common case is a new delivery: a plain insert whose seq is the last
// rowid. Only when it changed nothing (the id was seen) do the other two run.
// An upsert with RETURNING did both in one statement but cost a third more per
// row, all of it on the single writer. The insert has no conflict target: the
// only index a row with conflicts_with NULL can collide in is events_delivery.
constexpr const char* kInsert = R"sql(
INSERT INTO events (webhook, delivery_id, event, received_at, payload,
                    object_id, patient_id, practice_group_id, last_seen_at, payload_sha256)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?4, ?9)
ON CONFLICT DO NOTHING
)sql";

// The same event and body again (drchrono's retry, a console redelivery):
// count it on the row that holds them, the first one or a conflicting one.
// Each half of the union is answered by one of the two partial indexes.
constexpr const char* kCountRepeat = R"sql(
UPDATE events SET attempts = attempts + 1, last_seen_at = ?5
WHERE seq = (
  SELECT seq FROM events WHERE webhook = ?1 AND delivery_id = ?2 AND conflicts_with IS NULL
                           AND event = ?3 AND payload_sha256 = ?4
  UNION ALL
  SELECT seq FROM events WHERE webhook = ?1 AND delivery_id = ?2 AND conflicts_with IS NOT NULL
                           AND event = ?3 AND payload_sha256 = ?4)
RETURNING seq, attempts
)sql";

// A seen id with another event or body: never dropped, stored as a row of its
// own pointing at the first row with that id.
constexpr const char* kInsertConflicting = R"sql(
INSERT INTO events (webhook, delivery_id, event, received_at, payload,
                    object_id, patient_id, practice_group_id, last_seen_at, payload_sha256, conflicts_with)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?4, ?9, seq FROM events
WHERE webhook = ?1 AND delivery_id = ?2 AND conflicts_with IS NULL
RETURNING seq, conflicts_with
)sql";

// file_mode 0640 is for a consumer in the file's group, who also needs to
// enter the directory. An existing directory is not chmod'ed (systemd's
// StateDirectoryMode= or the operator owns it), only reported.
void warn_if_group_cannot_enter(const StorageConfig& config) {
  if ((config.file_mode & 040) == 0) return;
  const std::filesystem::path dir = config.path.has_parent_path() ? config.path.parent_path() : ".";
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0 && (st.st_mode & 010) == 0) {
    spdlog::warn(
        "store: file_mode is 0640 but the directory {} is {}: its group cannot reach the database; make it 0750 "
        "(StateDirectoryMode=0750 under systemd)",
        dir.string(), sqlite::octal_mode(st.st_mode & 0777));
  }
}

AppendOutcome overloaded() {
  AppendOutcome o;
  o.kind = AppendOutcome::Kind::kOverloaded;
  return o;
}

AppendOutcome failed(std::string why) {
  AppendOutcome o;
  o.kind = AppendOutcome::Kind::kFailed;
  o.error = std::move(why);
  return o;
}

}  // namespace

Result<std::unique_ptr<EventStore>> EventStore::open(const StorageConfig& config, std::shared_ptr<Counters> counters) {
  auto prepared = sqlite::prepare_database_file(config.path, config.file_mode);
  if (!prepared) return Error{"store: " + prepared.error().message};
  for (const sqlite::ModeChange& c : *prepared) {
    spdlog::info("store: mode of {} changed from {} to {} ([storage] file_mode)", c.file.string(),
                 sqlite::octal_mode(c.from), sqlite::octal_mode(c.to));
  }
  warn_if_group_cannot_enter(config);
  auto db = sqlite::Database::open(config.path, sqlite::Database::Mode::kReadWrite);
  if (!db) return Error{"store: " + db.error().message};
  if ((config.file_mode & 040) != 0) {
    // A reader that may not write the directory cannot create the -wal and
    // -shm a WAL database needs, so they stay when the store closes.
    int persist = 1;
    sqlite3_file_control(db->handle(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  }

  // auto_vacuum first: on a new, empty file it takes effect at once, before
  // the WAL header and the first table make it need a VACUUM (0004); on an
  // existing database it changes nothing by itself.
  const std::string pragmas = "PRAGMA busy_timeout = " + std::to_string(config.busy_timeout.count()) +
                              ";"
                              "PRAGMA auto_vacuum = INCREMENTAL;"
                              "PRAGMA journal_mode = WAL;"
                              "PRAGMA synchronous = " +
                              std::string(config.synchronous == Synchronous::kFull ? "FULL" : "NORMAL") + ";";
  if (auto st = db->exec(pragmas); !st) {
    return Error{"store: cannot configure " + config.path.string() + ": " + st.error().message};
  }
  auto report = migrate(*db, embedded_migrations());
  if (!report) return Error{"store: " + report.error().message};
  // serve migrates by itself (upgrading is "restart"), so say what it changed.
  for (const std::string& name : report->applied) {
    spdlog::info("store: applied migration {} to {}", name, config.path.string());
  }

  auto insert = db->prepare(kInsert);
  if (!insert) return Error{"store: " + insert.error().message};
  auto repeat = db->prepare(kCountRepeat);
  if (!repeat) return Error{"store: " + repeat.error().message};
  auto conflicting = db->prepare(kInsertConflicting);
  if (!conflicting) return Error{"store: " + conflicting.error().message};
  std::unique_ptr<EventStore> store(
      new EventStore(std::move(*db), std::move(*insert), std::move(*repeat), std::move(*conflicting), config));
  // Replaces the busy_timeout pragma's handler (same bound) with one that
  // fail_pending() can cut short.
  sqlite3_busy_handler(store->db_.handle(), &EventStore::on_busy, store.get());
  store->counters_ = counters ? std::move(counters) : std::make_shared<Counters>();
  // It has just been written (the pragmas, any migration).
  store->write_ok_.store(std::chrono::steady_clock::now().time_since_epoch().count());
  {
    auto last = store->db_.prepare("SELECT coalesce(max(seq), 0) FROM events");
    if (!last) return Error{"store: " + last.error().message};
    if (auto step = last->step(); !step) return Error{"store: cannot read the last seq: " + step.error().message};
    store->committed_seq_.store(last->column_int(0));
  }
  if (auto st = store->start_checkpointer(config.path); !st) return st.error();
  store->writer_ = std::thread([raw = store.get()] { raw->run(); });
  return store;
}

Status EventStore::start_checkpointer(const std::filesystem::path& path) {
  auto checkpointer = Checkpointer::start(db_, path);
  if (!checkpointer) return checkpointer.error();
  checkpointer_ = std::move(*checkpointer);
  return Status::Ok();
}

EventStore::EventStore(sqlite::Database db, sqlite::Statement insert, sqlite::Statement repeat,
                       sqlite::Statement conflicting, const StorageConfig& config)
    : db_(std::move(db)),
      insert_(std::move(insert)),
      repeat_(std::move(repeat)),
      conflicting_(std::move(conflicting)),
      queue_capacity_(config.queue_capacity),
      max_batch_(config.max_batch == 0 ? 1 : config.max_batch),
      busy_timeout_(config.busy_timeout) {}

EventStore::~EventStore() {
  stop();
}

void EventStore::submit(EventRecord record, Completion done) {
  bool stopping = false;
  {
    std::lock_guard lock(mutex_);
    stopping = stopping_;
    if (!stopping && queue_.size() < queue_capacity_) {
      queue_.push_back(Pending{std::move(record), std::move(done)});
      done = nullptr;
    }
  }
  if (!done) {
    wake_.notify_one();
    return;
  }
  done(stopping ? failed("the store is shutting down") : overloaded());
}

void EventStore::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable() && writer_.get_id() != std::this_thread::get_id()) writer_.join();
  if (checkpointer_) checkpointer_->stop();
}

std::size_t EventStore::fail_pending() {
  std::deque<Pending> failing;
  std::deque<PendingTask> failing_tasks;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    give_up_.store(true);
    failing.swap(queue_);
    failing_tasks.swap(tasks_);
  }
  wake_.notify_all();
  for (Pending& item : failing) item.done(failed("the receiver is shutting down"));
  for (PendingTask& task : failing_tasks) task.done(Error{"the receiver is shutting down"});
  return failing.size();
}

int EventStore::on_busy(void* self, int count) {
  auto* store = static_cast<EventStore*>(self);
  const auto now = std::chrono::steady_clock::now();
  if (count == 0) {
    store->busy_since_ = now;
    store->lock_wait_since_.store(now.time_since_epoch().count());
  }
  if (store->give_up_.load()) return 0;
  if (store->probing_ && store->work_waiting()) {
    store->probe_gave_way_ = true;  // the hook's own commit will wait for the lock, and tell
    return 0;
  }
  const auto left = store->busy_timeout_ - (now - store->busy_since_);
  if (left <= std::chrono::steady_clock::duration::zero()) return 0;
  // Short naps so that fail_pending() is heard within milliseconds.
  std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(5)));
  return store->give_up_.load() ? 0 : 1;
}

StoreStats EventStore::stats() const {
  StoreStats s;
  {
    std::lock_guard lock(mutex_);
    s = stats_;
  }
  if (checkpointer_) {
    s.background_checkpoints = checkpointer_->background_checkpoints();
    s.writer_checkpoints = checkpointer_->writer_checkpoints();
  }
  return s;
}

std::size_t EventStore::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void EventStore::commit_batch(std::vector<Pending>& batch) {
  std::vector<AppendOutcome> outcomes;
  std::size_t failed_item = batch.size();
  if (commit_group(batch, outcomes, failed_item)) {
    std::int64_t max_seq = 0;
    for (const AppendOutcome& o : outcomes) {
      if (o.kind == AppendOutcome::Kind::kStored) max_seq = std::max(max_seq, o.seq);
    }
    // Readers learn of the rows before the senders get their 200: a consumer
    // long-polling never hears of a hook later than drchrono does.
    if (max_seq != 0) announce_commit(max_seq);
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(outcomes[i]));
    return;
  }
  {
    std::lock_guard lock(mutex_);
    ++stats_.commit_failures;
  }
  if (failed_item < batch.size() && batch.size() > 1) {
    // One record broke the group: commit the others on their own so a single
    // bad row cannot make its neighbours wait hours for drchrono's retry.
    std::int64_t max_seq = 0;
    std::vector<AppendOutcome> singles;
    singles.reserve(batch.size());
    for (Pending& item : batch) {
      singles.push_back(commit_one(item));
      if (singles.back().kind == AppendOutcome::Kind::kStored) max_seq = std::max(max_seq, singles.back().seq);
    }
    if (max_seq != 0) announce_commit(max_seq);
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(singles[i]));
    return;
  }
  const std::string why = outcomes.empty() ? std::string("commit failed") : outcomes.front().error;
  for (Pending& item : batch) item.done(failed(why));
}

// Runs the whole batch in one transaction. On failure, `outcomes` holds one
// failed outcome with the reason, and `failed_item` names the record whose
// insert failed (batch.size() when BEGIN or COMMIT failed).
bool EventStore::commit_group(std::vector<Pending>& batch, std::vector<AppendOutcome>& outcomes,
                              std::size_t& failed_item) {
  outcomes.clear();
  outcomes.reserve(batch.size());
  const CommitTimer timer(*counters_, batch.size());
  if (auto st = db_.exec("BEGIN IMMEDIATE"); !st) {
    rollback_if_open();
    note_write_failure();
    outcomes.assign(1, failed("cannot begin a transaction: " + st.error().message));
    return false;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto outcome = append(batch[i].record);
    if (!outcome) {
      rollback_if_open();
      note_write_failure();
      failed_item = i;
      outcomes.assign(1, failed(outcome.error().message));
      return false;
    }
    outcomes.push_back(std::move(*outcome));
  }
  if (auto st = db_.exec("COMMIT"); !st) {
    rollback_if_open();
    note_write_failure();
    outcomes.assign(1, failed("commit failed: " + st.error().message));
    return false;
  }
  note_write_ok(true);
  return true;
}

AppendOutcome EventStore::commit_one(Pending& item) {
  std::vector<Pending> single;
  single.push_back(Pending{std::move(item.record), nullptr});
  std::vector<AppendOutcome> outcomes;
  std::size_t failed_item = 1;
  commit_group(single, outcomes, failed_item);
  item.record = std::move(single.front().record);
  return std::move(outcomes.front());
}

Result<AppendOutcome> EventStore::append(const EventRecord& r) {
  bind_row(insert_, r);
  auto step = insert_.step();
  insert_.reset();
  if (!step) return Error{"cannot store the event: " + step.error().message};
  AppendOutcome o;
  if (db_.changes() == 1) {
    o.kind = AppendOutcome::Kind::kStored;
    o.seq = db_.last_insert_rowid();
    o.attempts = 1;
    return o;
  }
  // The id was seen. The same event and body: count the delivery attempt.
  repeat_.bind(1, r.webhook)
      .bind(2, r.delivery_id)
      .bind(3, r.event)
      .bind_blob(4, r.payload_sha256)
      .bind(5, r.received_at);
  auto counted = repeat_.step();
  if (!counted) {
    std::string why = counted.error().message;
    repeat_.reset();
    return Error{"cannot count a repeated delivery: " + why};
  }
  if (*counted == sqlite::Statement::Step::kRow) {
    o.kind = AppendOutcome::Kind::kDuplicate;
    o.seq = repeat_.column_int(0);
    o.attempts = repeat_.column_int(1);
    repeat_.reset();
    return o;
  }
  repeat_.reset();
  return append_conflicting(r);
}

Result<AppendOutcome> EventStore::append_conflicting(const EventRecord& r) {
  bind_row(conflicting_, r);
  auto step = conflicting_.step();
  if (!step || *step != sqlite::Statement::Step::kRow) {
    std::string why = step ? "the first row with this delivery id vanished" : step.error().message;
    conflicting_.reset();
    return Error{"cannot store a conflicting delivery: " + why};
  }
  AppendOutcome o;
  o.kind = AppendOutcome::Kind::kStored;
  o.seq = conflicting_.column_int(0);
  o.attempts = 1;
  o.conflicts_with = conflicting_.column_int(1);
  conflicting_.reset();  // RETURNING made every change at the first step

  return o;
}

// Also keeps SQLite's reason for the failure that led here, before the
// ROLLBACK replaces it.
void EventStore::rollback_if_open() {
  failure_code_ = sqlite3_extended_errcode(db_.handle());
  if (sqlite3_get_autocommit(db_.handle()) == 0) (void)db_.exec("ROLLBACK");
}

}  // namespace chronohook
