// tls = false: for a receiver behind a TLS-terminating proxy on loopback. The
// same protocol over plain TCP; and a TLS listener never speaks plain HTTP.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

TEST(PlainHttp, PlainModeVerifiesAndStoresHooksOverPlainTcp) {
  ConfigOptions options;
  options.tls = false;
  Daemon daemon(options);
  ASSERT_FALSE(daemon.client_options().tls);

  auto connection = daemon.connect();
  const Response get = connection->send(verification_get("msg=plain"));
  ASSERT_EQ(get.status, 200) << get.body;
  EXPECT_EQ(json_string_field(get.body, "secret_token"), expected_hmac_hex(kMainSecret, "plain"));

  const Request hook = signed_hook(kMainSecret, "PATIENT_MODIFY");
  const Response r = connection->send(hook);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(event_for(daemon.db_path(), "main", delivery_of(hook)).has_value());
  EXPECT_EQ(connection->send(signed_hook("bb-wrong-secret-plain-00000")).status, 401);
  EXPECT_EQ(daemon.stop(), 0);
}

TEST(PlainHttp, TlsClientsAreRefusedByAPlainListener) {
  ConfigOptions options;
  options.tls = false;
  Daemon daemon(options);
  ClientOptions tls_client;
  tls_client.tls = true;
  tls_client.timeout = std::chrono::seconds(5);
  EXPECT_THROW(Connection(daemon.port(), tls_client), std::runtime_error);
  EXPECT_EQ(daemon.send(verification_get("msg=after")).status, 200) << "a failed handshake must not hurt the listener";
}

TEST(PlainHttp, ATlsListenerNeverAnswersPlainHttp) {
  Daemon daemon;
  ClientOptions plain;
  plain.tls = false;
  plain.timeout = std::chrono::seconds(5);
  bool answered = false;
  try {
    answered = send_once(daemon.port(), plain, signed_hook(kMainSecret)).status != 0;
  } catch (const std::exception&) {
    answered = false;  // handshake garbage or a closed connection: what we want
  }
  EXPECT_FALSE(answered);
  EXPECT_EQ(count_events(daemon.db_path()), 0);
  EXPECT_EQ(daemon.send(verification_get("msg=after")).status, 200);
}

}  // namespace
}  // namespace chronohook::testing
