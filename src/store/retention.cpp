// The prune pass: decide a cut-off seq, delete up to it in small writer
// tasks, give the freed pages back to the file system. The daemon and
// `chronohook prune` run the same code; only how a write runs differs.
#include "chronohook/retention.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <future>
#include <map>
#include <memory>

#include "chronohook/event_reader.hpp"

namespace chronohook {
namespace {

// Pages one incremental_vacuum step may move and free: a few MiB, so one
// step holds the writer about as long as one delete batch.
constexpr std::int64_t kVacuumPagesPerStep = 512;
// A bound on the steps of one pass; the next pass goes on from there.
constexpr int kMaxVacuumSteps = 10'000;

Result<std::optional<std::int64_t>> optional_int(sqlite::Database& db, std::string_view sql,
                                                 std::optional<std::string_view> text = std::nullopt,
                                                 std::optional<std::int64_t> number = std::nullopt) {
  auto stmt = db.prepare(sql);
  if (!stmt) return stmt.error();
  if (text) stmt->bind(1, *text);
  if (number) stmt->bind(1, *number);
  auto step = stmt->step();
  if (!step) return step.error();
  if (*step == sqlite::Statement::Step::kDone || stmt->column_is_null(0)) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(stmt->column_int(0));
}

Result<std::int64_t> integer(sqlite::Database& db, std::string_view sql) {
  auto value = optional_int(db, sql);
  if (!value) return value.error();
  return value->value_or(0);
}

// Each configured consumer's acknowledged seq; 0 without a cursor row.
Result<std::vector<std::pair<std::string, std::int64_t>>> read_cursors(sqlite::Database& db,
                                                                       const std::vector<std::string>& consumers) {
  std::vector<std::pair<std::string, std::int64_t>> cursors;
  for (const std::string& name : consumers) {
    auto seq = optional_int(db, "SELECT seq FROM consumer_cursors WHERE consumer = ?1", name);
    if (!seq) return Error{"cannot read the cursor of consumer " + name + ": " + seq.error().message};
    cursors.emplace_back(name, seq->value_or(0));
  }
  return cursors;
}

Result<CutoffInputs> read_inputs(sqlite::Database& db, const RetentionConfig& config,
                                 const std::vector<std::string>& consumers, std::chrono::system_clock::time_point now) {
  CutoffInputs in;
  if (config.max_age) {
    // The oldest events up to the first young one: retention deletes a
    // prefix of seq order. A scan in seq order (NOT INDEXED keeps the
    // planner off the received_at index, which would sort every young row)
    // reads the old rows and stops at the first young one.
    const std::string threshold = utc_millis(now - *config.max_age);
    auto first_young =
        optional_int(db, "SELECT seq FROM events NOT INDEXED WHERE received_at >= ?1 ORDER BY seq LIMIT 1", threshold);
    if (!first_young) return Error{"cannot find the events older than max_age: " + first_young.error().message};
    if (*first_young) {
      in.age_cut = **first_young - 1;
    } else {
      auto last = integer(db, "SELECT coalesce(max(seq), 0) FROM events");
      if (!last) return last.error();
      in.age_cut = *last;
    }
  }
  if (config.max_events) {
    const auto keep = static_cast<std::int64_t>(std::min<std::uint64_t>(*config.max_events, INT64_MAX));
    auto newest_dropped =
        optional_int(db, "SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?1", std::nullopt, keep);
    if (!newest_dropped) return Error{"cannot count the newest max_events: " + newest_dropped.error().message};
    in.count_cut = newest_dropped->value_or(0);
  }
  if (config.keep_unacknowledged) {
    auto cursors = read_cursors(db, consumers);
    if (!cursors) return cursors.error();
    in.cursors = std::move(*cursors);
  }
  return in;
}

struct BatchResult {
  std::int64_t deleted = 0;
  std::int64_t first = 0;
  std::int64_t last = 0;
};

// One delete batch, on the writer's connection inside its transaction. The
// cursors are read again here: the writer is the only one that moves them,
// so this is exact even if a consumer rewound after the plan was made.
Status delete_batch(sqlite::Database& db, std::int64_t cut, const RetentionConfig& config,
                    const std::vector<std::string>& consumers, BatchResult& out) {
  if (config.keep_unacknowledged) {
    auto cursors = read_cursors(db, consumers);
    if (!cursors) return cursors.error();
    for (const auto& [name, seq] : *cursors) cut = std::min(cut, seq);
  }
  if (cut <= 0) return Status::Ok();
  auto stmt = db.prepare(
      "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE seq <= ?1 ORDER BY seq LIMIT ?2) RETURNING seq");
  if (!stmt) return stmt.error();
  stmt->bind(1, cut).bind(2, static_cast<std::int64_t>(config.batch_size));
  for (;;) {
    auto step = stmt->step();
    if (!step) return Error{"cannot delete old events: " + step.error().message};
    if (*step == sqlite::Statement::Step::kDone) break;
    const std::int64_t seq = stmt->column_int(0);
    out.first = out.deleted == 0 ? seq : std::min(out.first, seq);
    out.last = std::max(out.last, seq);
    ++out.deleted;
  }
  return Status::Ok();
}

// One bounded incremental_vacuum step; how many pages left the file.
Status vacuum_step(sqlite::Database& db, std::int64_t& returned) {
  auto before = integer(db, "PRAGMA freelist_count");
  if (!before) return before.error();
  if (*before == 0) return Status::Ok();
  if (auto st = db.exec("PRAGMA incremental_vacuum(" + std::to_string(kVacuumPagesPerStep) + ")"); !st) return st;
  auto after = integer(db, "PRAGMA freelist_count");
  if (!after) return after.error();
  returned = *before - *after;
  return Status::Ok();
}

std::string seq_range(std::int64_t first, std::int64_t last) {
  return first == last ? "seq " + std::to_string(first) : "seq " + std::to_string(first) + ".." + std::to_string(last);
}

std::string mib(std::int64_t bytes) {
  const std::int64_t tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " MiB";
}

}  // namespace

Cutoff decide_cutoff(const RetentionConfig& config, const CutoffInputs& inputs) {
  Cutoff c;
  c.wanted = std::max(inputs.age_cut.value_or(0), inputs.count_cut.value_or(0));
  c.seq = c.wanted;
  if (!config.keep_unacknowledged) return c;
  for (const auto& [name, acknowledged] : inputs.cursors) {
    if (acknowledged < c.seq) {
      c.seq = acknowledged;
      c.held_by = name;
    }
  }
  return c;
}

Result<PrunePlan> plan_prune(sqlite::Database& db, const RetentionConfig& config,
                             const std::vector<std::string>& consumers, std::chrono::system_clock::time_point now) {
  // One read transaction: the counts below describe the same snapshot as the cut-off.
  if (auto st = db.exec("BEGIN"); !st) return Error{"retention: " + st.error().message};
  auto finish = [&db](Result<PrunePlan> result) -> Result<PrunePlan> {
    (void)db.exec(result ? "COMMIT" : "ROLLBACK");
    return result;
  };
  auto inputs = read_inputs(db, config, consumers, now);
  if (!inputs) return finish(Error{"retention: " + inputs.error().message});
  PrunePlan plan;
  plan.cutoff = decide_cutoff(config, *inputs);
  auto stmt = db.prepare("SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM events WHERE seq <= ?1");
  if (!stmt) return finish(Error{"retention: " + stmt.error().message});
  stmt->bind(1, plan.cutoff.seq);
  if (auto step = stmt->step(); !step) return finish(Error{"retention: " + step.error().message});
  plan.events = stmt->column_int(0);
  plan.first_seq = stmt->column_int(1);
  plan.last_seq = stmt->column_int(2);
  return finish(plan);
}

WriteRunner write_through_store(EventStore& store) {
  return [&store](EventStore::Task task) {
    auto promise = std::make_shared<std::promise<Status>>();
    auto outcome = promise->get_future();
    // The store completes every task (run, refused, or failed at shutdown),
    // so this wait ends; the task owns what it writes to (shared_ptr).
    store.submit_task(std::move(task), [promise](Status st) { promise->set_value(std::move(st)); });
    return outcome.get();
  };
}

WriteRunner write_on_connection(sqlite::Database& db) {
  return [&db](const EventStore::Task& task) {
    Status st = db.exec("BEGIN IMMEDIATE");
    if (!st) return st;
    st = task(db);
    if (st) st = db.exec("COMMIT");
    if (!st && sqlite3_get_autocommit(db.handle()) == 0) (void)db.exec("ROLLBACK");
    return st;
  };
}

Result<PruneReport> run_prune(sqlite::Database& reader, const WriteRunner& write, const RetentionConfig& config,
                              const std::vector<std::string>& consumers, std::chrono::system_clock::time_point now,
                              const std::function<bool()>& should_stop) {
  const auto stop_now = [&] { return should_stop && should_stop(); };
  auto plan = plan_prune(reader, config, consumers, now);
  if (!plan) return plan.error();
  PruneReport report;
  report.plan = *plan;
  const std::int64_t cut = plan->cutoff.seq;
  while (cut > 0 && plan->events > 0) {
    if (stop_now()) {
      report.stopped = true;
      return report;
    }
    auto batch = std::make_shared<BatchResult>();
    Status st = write([batch, cut, config, consumers](sqlite::Database& db) {
      return delete_batch(db, cut, config, consumers, *batch);
    });
    if (!st)
      return Error{"retention: a delete batch failed after " + std::to_string(report.deleted) +
                   " event(s) were deleted: " + st.error().message};
    if (batch->deleted == 0) break;
    ++report.batches;
    report.first_deleted = report.deleted == 0 ? batch->first : std::min(report.first_deleted, batch->first);
    report.last_deleted = std::max(report.last_deleted, batch->last);
    report.deleted += batch->deleted;
    if (batch->deleted < static_cast<std::int64_t>(config.batch_size)) break;
  }

  auto mode = integer(reader, "PRAGMA auto_vacuum");
  auto page_size = integer(reader, "PRAGMA page_size");
  if (!mode || !page_size) return Error{"retention: cannot read the database's auto_vacuum mode"};
  report.page_size = *page_size;
  if (*mode != 2) return report;  // not INCREMENTAL: only a full VACUUM could shrink the file
  for (int step = 0; step < kMaxVacuumSteps; ++step) {
    if (stop_now()) {
      report.stopped = true;
      return report;
    }
    auto returned = std::make_shared<std::int64_t>(0);
    Status st = write([returned](sqlite::Database& db) { return vacuum_step(db, *returned); });
    if (!st) return Error{"retention: incremental_vacuum failed: " + st.error().message};
    if (*returned <= 0) break;
    report.pages_returned += *returned;
  }
  return report;
}

std::string format_age(std::chrono::seconds age) {
  const std::int64_t s = age.count();
  if (s != 0 && s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

std::string describe(const PruneReport& r, bool dry_run) {
  std::string out;
  if (dry_run) {
    out = r.plan.events == 0 ? "would delete nothing"
                             : "would delete " + std::to_string(r.plan.events) + " event(s), " +
                                   seq_range(r.plan.first_seq, r.plan.last_seq);
  } else {
    out = r.deleted == 0
              ? "deleted nothing"
              : "deleted " + std::to_string(r.deleted) + " event(s), " + seq_range(r.first_deleted, r.last_deleted) +
                    " in " + std::to_string(r.batches) + " batch(es)";
  }
  if (!r.plan.cutoff.held_by.empty()) {
    out += "; held at seq " + std::to_string(r.plan.cutoff.seq) + " by consumer " + r.plan.cutoff.held_by +
           ", which has not acknowledged past it (the limits alone reach seq " + std::to_string(r.plan.cutoff.wanted) +
           ")";
  }
  if (!dry_run && r.pages_returned > 0) {
    out += "; returned " + std::to_string(r.pages_returned) + " page(s) (" + mib(r.pages_returned * r.page_size) +
           ") to the file system";
  }
  if (r.stopped) out += "; stopped early: the receiver is shutting down";
  return out;
}

}  // namespace chronohook
