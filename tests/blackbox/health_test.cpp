// /healthz, /readyz and `chronohook healthcheck` against the real daemon:
// no token needed, not ready (with the reason) while another process holds
// the database's write lock, ready again once it lets go.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "support/admin_api.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"
#include "support/test_certs.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

AdminOptions admin_options(bool tls) {
  AdminOptions o;
  o.tls = tls;
  return o;
}

class Health : public ::testing::Test {
 protected:
  explicit Health(bool tls = false)
      : tls_(tls), daemon_(admin_config(admin_options(tls)), Launch{}), port_(admin_port(daemon_)) {}

  Response get(std::string_view target, std::string_view token = "") {
    return send_once(port_, admin_client_options(daemon_, tls_), admin_request("GET", target, token));
  }

  // Polls /readyz until it answers `status` (bounded: 15 s).
  Response wait_for_readiness(int status) {
    Response r;
    for (int i = 0; i < 150; ++i) {
      r = get("/readyz");
      if (r.status == status) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return r;
  }

  // `chronohook healthcheck` with the daemon's own config, the admin port
  // given the way a container would: an environment override.
  CommandResult healthcheck() {
    return run_chronohook({"healthcheck", "--config", daemon_.config_path().string()},
                          {{"CHRONOHOOK_ADMIN_LISTEN", "127.0.0.1:" + std::to_string(port_)}});
  }

  bool tls_;
  Daemon daemon_;
  std::uint16_t port_;
};

class HealthTls : public Health {
 protected:
  HealthTls() : Health(true) {}
};

TEST_F(Health, HealthzAnswers200WithoutAToken) {
  const Response r = get("/healthz");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.body, R"({"status":"ok"})");
}

TEST_F(Health, ReadyzAnswers200WhenTheDaemonCanStoreHooks) {
  const Response r = get("/readyz");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_string_field(r.body, "status"), "ready") << r.body;
  EXPECT_EQ(daemon_.send(signed_hook(kMainSecret)).status, 200);
  EXPECT_EQ(get("/readyz").status, 200);
}

TEST_F(Health, ReadyzIs503WithTheReasonWhileAnotherProcessHoldsTheLockAndRecoversAfter) {
  ASSERT_EQ(get("/readyz").status, 200);
  {
    WriteLock lock(daemon_.db_path());
    // No hook is sent: the idle writer's probe must notice by itself.
    const Response r = wait_for_readiness(503);
    ASSERT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(json_string_field(r.body, "status"), "not ready") << r.body;
    EXPECT_THAT(r.body, HasSubstr("locked by another process"));
    // Liveness is another matter: the event loop answers.
    EXPECT_EQ(get("/healthz").status, 200);
  }
  const Response after = wait_for_readiness(200);
  EXPECT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(daemon_.send(signed_hook(kMainSecret)).status, 200);
}

TEST_F(Health, HealthcheckExits0WhenReadyAnd1WithTheReasonWhenNot) {
  const CommandResult ready = healthcheck();
  EXPECT_EQ(ready.exit_code, 0) << ready.err;
  EXPECT_EQ(ready.err, "");
  {
    WriteLock lock(daemon_.db_path());
    ASSERT_EQ(wait_for_readiness(503).status, 503);
    const CommandResult locked = healthcheck();
    EXPECT_EQ(locked.exit_code, 1) << locked.err;
    EXPECT_THAT(locked.err, HasSubstr("not ready (503"));
    EXPECT_THAT(locked.err, HasSubstr("locked by another process"));
    EXPECT_EQ(std::count(locked.err.begin(), locked.err.end(), '\n'), 1) << locked.err;
  }
  ASSERT_EQ(wait_for_readiness(200).status, 200);
  EXPECT_EQ(healthcheck().exit_code, 0);
}

TEST_F(Health, HealthcheckExits1WhenNothingListens) {
  const std::uint16_t port = port_;
  daemon_.stop();
  const CommandResult r =
      run_chronohook({"healthcheck", "--config", daemon_.config_path().string(), "--timeout", "2"},
                     {{"CHRONOHOOK_ADMIN_LISTEN", "127.0.0.1:" + std::to_string(port)}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no answer from the admin listener at 127.0.0.1:" + std::to_string(port)));
}

TEST(HealthcheckCommand, SaysSoWhenTheConfigHasNoAdminTable) {
  TempDir dir;
  const auto config = dir.write_file("chronohook.toml", make_config());
  const CommandResult r = run_chronohook({"healthcheck", "--config", config.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no [admin] table"));
  EXPECT_THAT(r.err, Not(HasSubstr(std::string(kMainSecret))));
}

TEST_F(HealthTls, HealthcheckTrustsTheConfiguredAdminCertificate) {
  ASSERT_EQ(get("/readyz").status, 200);
  const CommandResult r = healthcheck();
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(HealthTls, HealthcheckRefusesAListenerWhoseCertificateIsNotTheConfiguredOne) {
  TempDir other;
  const CertFiles stranger = write_self_signed_cert(other.path());
  const CommandResult r = run_chronohook({"healthcheck", "--config", daemon_.config_path().string()},
                                         {{"CHRONOHOOK_ADMIN_LISTEN", "127.0.0.1:" + std::to_string(port_)},
                                          {"CHRONOHOOK_ADMIN_TLS_CERT", stranger.cert.string()},
                                          {"CHRONOHOOK_ADMIN_TLS_KEY", stranger.key.string()}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("not the one in [admin] tls_cert"));
}

}  // namespace
}  // namespace chronohook::testing
