// Private to src/admin: a consumer's cursor PUT as a task for the single
// writer (EventStore::submit_task), so the database keeps one writer and the
// check (never backwards without rewind, never past the newest event) and
// the write happen in one transaction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "admin/handler.hpp"
#include "chronohook/event_store.hpp"

namespace chronohook::admin {

// Fills `*out` on the writer thread. The caller answers from it only once
// the task's TaskDone reports the commit; a failed commit means kFailed
// whatever `*out` says.
EventStore::Task cursor_task(std::string consumer, std::int64_t seq, bool rewind, std::shared_ptr<CursorWrite> out);

}  // namespace chronohook::admin
