#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "admin/server.hpp"
#include "app/commands.hpp"
#include "app/fd_limit.hpp"
#include "app/listen_fds.hpp"
#include "app/reload.hpp"
#include "app/watchdog.hpp"
#include "chronohook/config.hpp"
#include "chronohook/event_store.hpp"
#include "chronohook/handler.hpp"
#include "chronohook/logging.hpp"
#include "chronohook/retention.hpp"
#include "chronohook/server.hpp"
#include "chronohook/tls.hpp"
#include "chronohook/version.hpp"

namespace chronohook::app {
namespace {

namespace asio = boost::asio;

unsigned io_threads(const Config& config) {
  if (config.server.threads > 0) return config.server.threads;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : cores;
}

// The shutdown bound T = shutdown_timeout, split so that it holds whatever the
// database does: requests in flight get T - R to finish as usual; then the
// store fails what is still queued, and a batch stuck on another process's
// lock gives up, so every waiting session answers 503 + Retry-After; R/2
// later the I/O threads stop, leaving R/2 to close the store and exit.
struct ShutdownPlan {
  std::chrono::milliseconds fail_pending_at;
  std::chrono::milliseconds stop_io_at;
};

ShutdownPlan plan_shutdown(std::chrono::milliseconds total) {
  const std::chrono::milliseconds reserve = std::min<std::chrono::milliseconds>(total / 4, std::chrono::seconds(1));
  return ShutdownPlan{total - reserve, total - reserve / 2};
}

}  // namespace

int serve(const std::filesystem::path& config_file) {
  // Whatever this process creates (database, WAL, logs) is for its owner only.
  ::umask(077);
  std::signal(SIGPIPE, SIG_IGN);
  // A reload asked for during start-up is moot (the files are being read
  // now), and must not kill the process: ignored until `signals` takes it.
  std::signal(SIGHUP, SIG_IGN);

  auto config = load_config(config_file, ConfigEnvironment::from_process());
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitConfig;
  }
  if (auto st = logging::init(config->log.level, config->log.format); !st) {
    std::cerr << "config: " << st.error().message << "\n";
    return kExitConfig;
  }

  spdlog::info("chronohook {} starting: config {}", kVersion, config->source.string());
  Config as_loaded = *config;  // what a reload compares the file with
  for (const std::string& warning : config->warnings) spdlog::warn("{}", warning);
  // Every connection is a descriptor: take all the kernel allows us, and
  // serve no more connections than fit, rather than fail accept() with EMFILE.
  // The admin listener's descriptors come off the top first.
  const std::uint64_t all_files = raise_open_file_limit();
  const std::uint64_t admin_files = admin::descriptors_needed(config->admin);
  const std::uint64_t open_files = all_files > admin_files ? all_files - admin_files : 0;
  if (const ConnectionBudget budget = fit_connections(config->server.max_connections, open_files); budget.clamped) {
    spdlog::warn("{}", clamp_warning(config->server.max_connections, budget, all_files, admin_files));
    config->server.max_connections = budget.max_connections;
  }
  // Sockets systemd bound for us (chronohook.socket), if any.
  auto inherited = take_inherited_listeners(*config);
  if (!inherited) {
    spdlog::critical("{}", inherited.error().message);
    logging::shutdown();
    return kExitConfig;
  }
  for (const WebhookConfig& w : config->webhooks) {
    spdlog::info("webhook {} at {} ({} secret(s) accepted, verification {})", w.name, w.path,
                 1 + w.previous_secrets.size(), w.verify ? "on" : "off");
  }

  std::shared_ptr<asio::ssl::context> tls_context;
  if (config->server.tls) {
    auto ctx = tls::make_server_context(config->server.tls_cert, config->server.tls_key);
    if (!ctx) {
      spdlog::critical("{}", ctx.error().message);
      logging::shutdown();
      return kExitConfig;
    }
    tls_context = std::move(*ctx);
  }

  auto counters = std::make_shared<Counters>();
  {
    std::vector<std::string> names;
    for (const WebhookConfig& w : config->webhooks) names.push_back(w.name);
    counters->requests_by_status.register_webhooks(names);
  }
  auto store = EventStore::open(config->storage, counters);
  if (!store) {
    spdlog::critical("{}", store.error().message);
    logging::shutdown();
    return kExitRuntime;
  }
  spdlog::info("database {} (WAL, synchronous={})", config->storage.path.string(),
               to_string(config->storage.synchronous));

  auto handler = std::make_shared<const webhook::Handler>(*config, counters);
  const unsigned threads = io_threads(*config);
  asio::io_context ioc(static_cast<int>(threads));

  auto server =
      net::Server::create(ioc, *config, std::move(handler), **store, counters, tls_context, inherited->webhook);
  if (!server) {
    spdlog::critical("{}", server.error().message);
    (*store)->stop();
    logging::shutdown();
    return kExitRuntime;
  }
  // Retention deletes through the writer, between hook batches.
  std::unique_ptr<RetentionService> retention;
  if (config->retention.enabled) {
    std::vector<std::string> consumers;
    for (const ConsumerConfig& c : config->consumers) consumers.push_back(c.name);
    auto started = RetentionService::start(config->retention, config->storage.path, std::move(consumers), **store);
    if (!started) {
      spdlog::critical("{}", started.error().message);
      (*store)->stop();
      logging::shutdown();
      return kExitRuntime;
    }
    retention = std::move(*started);
  }
  // The pull API, when [admin] is configured. Its "admin api on" line comes
  // after "listening on", which names the webhook listener.
  std::unique_ptr<admin::Server> admin_server;
  if (config->admin.enabled) {
    auto created = admin::Server::create(ioc, *config, **store, counters, inherited->admin);
    if (!created) {
      spdlog::critical("{}", created.error().message);
      if (retention) retention->stop();
      (*store)->stop();
      logging::shutdown();
      return kExitRuntime;
    }
    admin_server = std::move(*created);
  }
  Reloader reloader(config_file, std::move(as_loaded), **server, std::move(tls_context), admin_server.get());
  drop_secrets(*config);  // the handlers and the reloader hold them: a rotated one is wiped
  // Caught from here on, before "listening on" and READY=1: a signal sent
  // as soon as those appear waits in the set for the handler below.
  asio::signal_set signals(ioc, SIGINT, SIGTERM, SIGHUP);
  (*server)->start();
  spdlog::info("listening on {} ({}, {} I/O threads)", (*server)->local_address(),
               config->server.tls ? "https" : "plain http", threads);
  if (admin_server) {
    admin_server->set_webhook_listening(true);
    admin_server->start();
    std::string consumers;
    for (const ConsumerConfig& c : config->consumers) consumers += (consumers.empty() ? "" : ", ") + c.name;
    spdlog::info("admin api on {} ({}, {} reader(s), consumers: {})", admin_server->local_address(),
                 config->admin.tls_cert.empty() ? "plain http" : "https", config->admin.readers,
                 consumers.empty() ? "none" : consumers);
  }
  sd_notifyf(0, "READY=1\nSTATUS=listening on %s", (*server)->local_address().c_str());
  // WATCHDOG=1 while the loop, the I/O threads and the writer move; STATUS=.
  auto notifier = ServiceNotifier::start(
      ioc, threads,
      {**store, *counters, (*server)->local_address(), config->storage.queue_capacity, config->storage.busy_timeout});

  // SIGTERM/SIGINT: stop accepting, finish what is in flight, then exit.
  asio::steady_timer fail_timer(ioc);
  asio::steady_timer deadline(ioc);
  std::function<void(const boost::system::error_code&, int)> on_signal;
  on_signal = [&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      reloader.reload();
      signals.async_wait(on_signal);
      return;
    }
    spdlog::info("signal {}: draining {} connection(s)", signo, (*server)->open_connections());
    if (retention) retention->request_stop();
    sd_notify(0, "STOPPING=1");
    // Both listeners drain; the I/O threads stop when the last one has.
    auto listeners_left = std::make_shared<std::atomic<int>>(admin_server ? 2 : 1);
    auto one_drained = [&ioc, listeners_left] {
      if (listeners_left->fetch_sub(1) != 1) return;
      spdlog::info("drained");
      ioc.stop();
    };
    if (admin_server) admin_server->set_webhook_listening(false);
    (*server)->drain(one_drained);
    if (admin_server) admin_server->drain(one_drained);
    const ShutdownPlan plan = plan_shutdown(config->server.shutdown_timeout);
    fail_timer.expires_after(plan.fail_pending_at);
    fail_timer.async_wait([&](const boost::system::error_code& wait_ec) {
      if (wait_ec) return;
      const std::size_t failed = (*store)->fail_pending();
      spdlog::warn("shutdown_timeout_ms is near: {} queued hook(s) answered 503 for drchrono to retry", failed);
    });
    deadline.expires_after(plan.stop_io_at);
    deadline.async_wait([&](const boost::system::error_code& wait_ec) {
      if (wait_ec) return;
      spdlog::warn("drain timed out after {} ms with {} connection(s) open; closing them", plan.stop_io_at.count(),
                   (*server)->open_connections());
      ioc.stop();
    });
  };
  signals.async_wait(on_signal);

  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (unsigned i = 1; i < threads; ++i)
    pool.emplace_back([&ioc, &notifier, i] { run_io_thread(ioc, notifier.get(), i); });
  run_io_thread(ioc, notifier.get(), 0);
  for (std::thread& t : pool) t.join();
  if (notifier) notifier->stop();
  if (admin_server) admin_server->stop_readers();
  if (retention) retention->stop();  // before the store: its last batch needs the writer

  // A drain that finished in time left nothing queued; after the deadline,
  // fail_pending() did. Either way this returns without waiting on a lock.
  (*store)->stop();
  const StoreStats stats = (*store)->stats();
  spdlog::info(
      "stopped: {} hook(s) stored, {} duplicate(s), {} batch(es), largest batch {}, {} checkpoint(s), {} of them on "
      "the writer, {} conflicting delivery id(s)",
      counters->hooks_stored.load(), counters->hooks_duplicate.load(), stats.batches, stats.largest_batch,
      stats.background_checkpoints + stats.writer_checkpoints, stats.writer_checkpoints,
      counters->hooks_conflicting.load());
  logging::shutdown();
  return kExitOk;
}

}  // namespace chronohook::app
