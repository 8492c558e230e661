// SIGHUP against the real daemon: certificates, secrets and limits of what
// may change live. Hooks keep flowing across reloads, open connections keep
// their certificate, a broken file keeps the running setting, and a change
// that needs a restart is refused by name.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"
#include "support/reload.hpp"
#include "support/test_certs.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Synthetic secrets for rotation, beside kMainSecret and kOtherSecret.
constexpr std::string_view kThirdSecret = "bb-third-secret-5e1f0a7c9b3d2864";

ConfigOptions with_secret(std::string_view secret, std::vector<std::string> previous = {}) {
  ConfigOptions o;
  o.webhooks[0].secret = std::string(secret);
  o.webhooks[0].previous_secrets = std::move(previous);
  return o;
}

// The TOML of `o` with [server] listen set to `listen`.
std::string with_listen(const ConfigOptions& o, std::string_view listen) {
  std::string toml = make_config(o);
  const std::string from = "listen = \"127.0.0.1:0\"";
  toml.replace(toml.find(from), from.size(), "listen = \"" + std::string(listen) + "\"");
  return toml;
}

TEST(Reload, HooksSentContinuouslyAcrossSeveralReloadsAreAllAnswered200AndStored) {
  Daemon daemon;
  ClientOptions any_certificate = daemon.client_options();
  any_certificate.trust_cert.clear();  // the certificate changes under the senders
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::vector<std::string> answered;
  std::vector<std::string> problems;
  auto note_problem = [&](std::string what) {
    std::lock_guard lock(mutex);
    problems.push_back(std::move(what));
  };
  auto send = [&](Connection& connection) {
    const Request hook = signed_hook(kMainSecret, "APPOINTMENT_MODIFY");
    const Response r = connection.send(hook);
    if (r.status != 200) {
      note_problem("status " + std::to_string(r.status) + ": " + r.body);
      return false;
    }
    std::lock_guard lock(mutex);
    answered.push_back(delivery_of(hook));
    return r.keep_alive;
  };
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    const bool keep_alive = t % 2 == 0;
    senders.emplace_back([&, keep_alive] {
      try {
        std::unique_ptr<Connection> kept;
        while (!stop.load()) {
          if (!keep_alive) {
            Connection fresh(daemon.port(), any_certificate);
            send(fresh);
            continue;
          }
          if (!kept) kept = std::make_unique<Connection>(daemon.port(), any_certificate);
          if (!send(*kept)) kept.reset();
        }
      } catch (const std::exception& e) {
        note_problem(e.what());
      }
    });
  }
  // Each reload brings a new certificate and another set of accepted
  // secrets; the senders' secret stays accepted throughout.
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ConfigOptions next;
    if (i % 2 == 0) next.webhooks[0].previous_secrets = {std::string(kOtherSecret)};
    replace_certificate(daemon);
    rewrite_config(daemon, make_config(next));
    const std::string summary = reload(daemon);
    EXPECT_THAT(summary, HasSubstr("webhook certificate")) << "reload " << i;
    EXPECT_THAT(summary, HasSubstr("credentials of webhook main")) << "reload " << i;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  for (std::thread& t : senders) t.join();

  EXPECT_THAT(problems, ::testing::IsEmpty());
  ASSERT_GT(answered.size(), 20u) << "too few hooks went through to show anything";
  std::set<std::string> stored;
  for (const Row& row : all_events(daemon.db_path())) stored.insert(row.at("delivery_id").value_or(""));
  for (const std::string& delivery : answered) EXPECT_TRUE(stored.contains(delivery)) << "lost: " << delivery;
  EXPECT_EQ(stored.size(), answered.size());
  EXPECT_TRUE(daemon.running());
}

TEST(Reload, ANewCertificateServesNewConnectionsWhileAnOpenOneKeepsWorking) {
  Daemon daemon;
  const std::string old_fingerprint = certificate_sha256(daemon.dir() / "cert.pem");
  // Verified against the old cert.pem: this connection has the old certificate.
  auto open = daemon.connect();
  ASSERT_EQ(open->send(signed_hook(kMainSecret)).status, 200);
  ASSERT_EQ(presented_certificate_sha256(daemon.port()), old_fingerprint);

  const std::string new_fingerprint = replace_certificate(daemon);
  ASSERT_NE(new_fingerprint, old_fingerprint);
  EXPECT_THAT(reload(daemon), HasSubstr("applied: webhook certificate (serial "));

  EXPECT_EQ(presented_certificate_sha256(daemon.port()), new_fingerprint);
  auto fresh = daemon.connect();  // verified against the new cert.pem
  EXPECT_EQ(fresh->send(signed_hook(kMainSecret)).status, 200);

  // The connection opened before the reload goes on with its own session.
  const Response r = open->send(signed_hook(kMainSecret));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(count_events(daemon.db_path()), 3);
  EXPECT_THAT(log_lines_with(daemon, "reload: webhook certificate replaced"), HasSubstr("CN=localhost"));

  // The same files read again change nothing.
  EXPECT_THAT(reload(daemon), HasSubstr("reload finished: nothing changed"));
}

TEST(Reload, ARotatedSecretWorksAtOnceAndTheOldOneOnlyWhileListedAsPrevious) {
  Daemon daemon(with_secret(kMainSecret));
  auto open = daemon.connect();
  ASSERT_EQ(open->send(signed_hook(kMainSecret)).status, 200);

  // New secret, the old one dropped.
  rewrite_config(daemon, make_config(with_secret(kOtherSecret)));
  EXPECT_THAT(reload(daemon), HasSubstr("applied: credentials of webhook main"));
  EXPECT_EQ(daemon.send(signed_hook(kOtherSecret)).status, 200);
  EXPECT_EQ(daemon.send(signed_hook(kMainSecret)).status, 401);
  // A kept-alive connection from before sees the new secret at its next request.
  EXPECT_EQ(open->send(signed_hook(kOtherSecret)).status, 200);
  EXPECT_EQ(open->send(signed_hook(kMainSecret)).status, 401);

  // Rotated again, keeping the last one as previous: both work, the first not.
  rewrite_config(daemon, make_config(with_secret(kThirdSecret, {std::string(kOtherSecret)})));
  reload(daemon);
  EXPECT_EQ(daemon.send(signed_hook(kThirdSecret)).status, 200);
  EXPECT_EQ(daemon.send(signed_hook(kOtherSecret)).status, 200);
  EXPECT_EQ(daemon.send(signed_hook(kMainSecret)).status, 401);
  // Verification answers with the current secret only.
  const Response verify = daemon.send(verification_get("msg=rotated"));
  ASSERT_EQ(verify.status, 200);
  EXPECT_EQ(json_string_field(verify.body, "secret_token"), expected_hmac_hex(kThirdSecret, "rotated"));
  EXPECT_THAT(log_lines_with(daemon, "reload: webhook main has new credentials"), HasSubstr("2 secret(s) accepted"));

  const std::string log = daemon.log_text();
  for (std::string_view secret : {kMainSecret, kOtherSecret, kThirdSecret}) {
    EXPECT_THAT(log, Not(HasSubstr(std::string(secret))));
  }
}

TEST(Reload, ACertificateThatDoesNotMatchItsKeyKeepsTheRunningOneWhileAGoodSecretApplies) {
  Daemon daemon;
  const std::filesystem::path old_cert = daemon.dir() / "old-cert.pem";
  std::filesystem::copy_file(daemon.dir() / "cert.pem", old_cert);
  const std::string old_fingerprint = certificate_sha256(old_cert);
  // Another pair's certificate over ours: the key on disk no longer matches.
  const std::filesystem::path elsewhere = daemon.dir() / "elsewhere";
  std::filesystem::create_directory(elsewhere);
  write_self_signed_cert(elsewhere);
  std::filesystem::copy_file(elsewhere / "cert.pem", daemon.dir() / "cert.pem",
                             std::filesystem::copy_options::overwrite_existing);
  rewrite_config(daemon, make_config(with_secret(kOtherSecret)));

  const std::string summary = reload(daemon);
  EXPECT_THAT(summary, HasSubstr("applied: credentials of webhook main"));
  EXPECT_THAT(summary, HasSubstr("kept the running setting after an error: webhook certificate"));
  EXPECT_THAT(log_lines_with(daemon, "reload: webhook certificate not replaced"),
              HasSubstr("key.pem does not match the certificate in"));

  ClientOptions trust_old = daemon.client_options();
  trust_old.trust_cert = old_cert;
  EXPECT_EQ(presented_certificate_sha256(daemon.port()), old_fingerprint);
  Connection connection(daemon.port(), trust_old);
  EXPECT_EQ(connection.send(signed_hook(kOtherSecret)).status, 200);

  // A certificate file that cannot be read: the same.
  std::filesystem::remove(daemon.dir() / "cert.pem");
  EXPECT_THAT(reload(daemon), HasSubstr("kept the running setting after an error: webhook certificate"));
  EXPECT_EQ(presented_certificate_sha256(daemon.port()), old_fingerprint);
  EXPECT_EQ(Connection(daemon.port(), trust_old).send(signed_hook(kOtherSecret)).status, 200);
}

TEST(Reload, ABrokenFileKeepsEverySettingAndNamesTheProblemWithoutTheSecret) {
  Daemon daemon;
  // A secret under the 16-byte minimum.
  constexpr std::string_view kTooShort = "qz7-tiny-91";
  rewrite_config(daemon, make_config(with_secret(kTooShort)));
  const std::string summary = reload(daemon);
  EXPECT_THAT(summary, HasSubstr("kept the running setting after an error: configuration file"));
  EXPECT_THAT(log_lines_with(daemon, "none of the file's settings was applied"), HasSubstr("webhook"));
  EXPECT_EQ(daemon.send(signed_hook(kMainSecret)).status, 200);
  EXPECT_EQ(daemon.send(signed_hook(kTooShort)).status, 401);

  // Not TOML at all.
  rewrite_config(daemon, "[server\nlisten = ");
  EXPECT_THAT(reload(daemon), HasSubstr("configuration file"));
  EXPECT_EQ(daemon.send(signed_hook(kMainSecret)).status, 200);

  const std::string log = daemon.log_text();
  EXPECT_THAT(log, Not(HasSubstr(std::string(kTooShort))));
  EXPECT_THAT(log, Not(HasSubstr(std::string(kMainSecret))));
}

TEST(Reload, AChangedListenAddressIsRefusedByNameAndTheDaemonServesWhereItWas) {
  Daemon daemon;
  ConfigOptions next = with_secret(kOtherSecret);
  next.threads = 3;
  next.extra_storage_toml = "queue_capacity = 77\n";
  rewrite_config(daemon, with_listen(next, "127.0.0.1:1"));

  const std::string summary = reload(daemon);
  EXPECT_THAT(summary, HasSubstr("applied: credentials of webhook main"));
  EXPECT_THAT(summary, HasSubstr("refused, needs a restart: server.listen, server.threads, storage.queue_capacity"));
  EXPECT_THAT(log_lines_with(daemon, "reload: server.listen changed"),
              HasSubstr("from 127.0.0.1:0 to 127.0.0.1:1; not applied: it needs a restart"));
  EXPECT_THAT(log_lines_with(daemon, "reload: storage.queue_capacity changed"), HasSubstr("to 77"));

  // Still on the old port, with the new secret.
  EXPECT_EQ(daemon.send(signed_hook(kOtherSecret)).status, 200);
  EXPECT_EQ(daemon.send(signed_hook(kMainSecret)).status, 401);
}

TEST(Reload, AWebhookAddedOrMovedIsRefusedAndTheOthersKeepWorking) {
  ConfigOptions start;
  start.webhooks.push_back(WebhookSpec{"other", "/other", std::string(kOtherSecret), {}, true, ""});
  Daemon daemon(start);
  ConfigOptions next;
  next.webhooks[0].secret = std::string(kThirdSecret);  // main: a new secret (live)
  next.webhooks.push_back(WebhookSpec{"other", "/moved", std::string(kMainSecret), {}, true, ""});
  next.webhooks.push_back(WebhookSpec{"extra", "/extra", std::string(kOtherSecret), {}, true, ""});
  rewrite_config(daemon, make_config(next));

  const std::string summary = reload(daemon);
  EXPECT_THAT(summary, HasSubstr("applied: credentials of webhook main;"));
  EXPECT_THAT(summary, HasSubstr("refused, needs a restart: webhook.other.path, webhook.extra"));
  EXPECT_EQ(daemon.send(signed_hook(kThirdSecret)).status, 200);
  // "other" keeps its path and its secret; "extra" does not exist.
  EXPECT_EQ(daemon.send(signed_hook(kOtherSecret, "PATIENT_CREATE", "", "", "/other")).status, 200);
  EXPECT_EQ(daemon.send(signed_hook(kMainSecret, "PATIENT_CREATE", "", "", "/moved")).status, 404);
  EXPECT_EQ(daemon.send(signed_hook(kOtherSecret, "PATIENT_CREATE", "", "", "/extra")).status, 404);
}

}  // namespace
}  // namespace chronohook::testing
