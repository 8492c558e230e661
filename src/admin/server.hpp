// The [admin] listener: the pull API beside the webhook listener, on the same
// io_context, with its own handler, sessions, read-only connections and TLS
// context. Private to src (serve.cpp wires it).
#pragma once

#include <cstddef>

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "chronohook/config.hpp"
#include "chronohook/counters.hpp"
#include "chronohook/event_store.hpp"
#include "chronohook/result.hpp"

namespace chronohook::admin {

class Listener;

// Consumers are a handful of programs: this bounds what a stranger who
// cannot authenticate may hold open, well below the open-file limit.
inline constexpr std::size_t kMaxConnections = 256;

// Descriptors the admin side may hold at most: its connections, its
// listener, and each reader's database, -wal and -shm. They come out of the
// same open-file budget as the webhook listener's connections.
inline std::size_t descriptors_needed(const AdminConfig& admin) {
  return admin.enabled ? kMaxConnections + 1 + 3 * admin.readers : 0;
}

class Server {
 public:
  // Loads the TLS context (when [admin] has one), opens config.admin.readers
  // read-only connections (the store must be open: it applied the
  // migrations), hangs the long-poll wake-up on the store's commit
  // notification, and binds config.admin.listen. `counters` are what
  // /metrics exports (and where the admin side counts its own refusals).
  static Result<std::unique_ptr<Server>> create(boost::asio::io_context& ioc, const Config& config, EventStore& store,
                                                std::shared_ptr<Counters> counters);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::string local_address() const;  // "127.0.0.1:9443"
  void start();
  // Stops accepting, answers long-polls with what they have (an empty page),
  // lets requests in flight finish. `on_drained` runs when none remain.
  void drain(std::function<void()> on_drained);
  std::size_t open_connections() const;
  // For /readyz: whether the webhook listener accepts connections.
  void set_webhook_listening(bool listening);
  // Joins the reader threads; call once the I/O threads have stopped.
  void stop_readers();

 private:
  struct Parts;
  explicit Server(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace chronohook::admin
