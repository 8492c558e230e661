// [server] listen: a URL typed where "host:port" belongs gets an answer that
// says so, not one about IPv6 brackets.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/listen.hpp"
#include "unit/config_support.hpp"

namespace chronohook::config_test {
namespace {

TEST(ConfigListen, SaysListenTakesHostAndPortWithoutASchemeForAUrl) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"https://127.0.0.1:8443", "listen takes host:port without a scheme, e.g. \"127.0.0.1:8443\""},
      {"http://0.0.0.0:8080", "listen takes host:port without a scheme, e.g. \"0.0.0.0:8080\""},
      {"https://[::1]:8443", "listen takes host:port without a scheme, e.g. \"[::1]:8443\""},
      {"127.0.0.1:8443/webhook", "listen takes host:port without a path, e.g. \"127.0.0.1:8443\""},
      {"https://127.0.0.1:8443/webhook", "listen takes host:port without a scheme or a path, e.g. \"127.0.0.1:8443\""},
      {"https://example.org/webhook", "listen takes host:port without a scheme or a path, e.g. \"127.0.0.1:8443\""},
  };
  for (const Case& c : cases) {
    const std::string message = error_of(load("[server]\nlisten = \"" + c.text + "\"\n" + hook()));
    EXPECT_TRUE(Has(message, "[server] listen (line 2) is \"" + c.text + "\": " + c.expected)) << c.text;
    EXPECT_FALSE(Has(message, "brackets")) << c.text;
  }
  EXPECT_TRUE(Has(error_of(load("[server]\nlisten = \"https://0.0.0.0:8443\"\n" + hook())),
                  "[server] tls chooses between https (true) and plain http"));
  EXPECT_TRUE(Has(error_of(load("[server]\nlisten = \"0.0.0.0:8443/webhook\"\n" + hook())),
                  "the URL path belongs in [[webhook]] path"));
}

TEST(ConfigListen, SaysTheSameForAUrlFromTheEnvironment) {
  EXPECT_TRUE(Has(error_of(load(hook(), env_of({{"CHRONOHOOK_SERVER_LISTEN", "https://0.0.0.0:8443"}}))),
                  "[server] listen (from CHRONOHOOK_SERVER_LISTEN) is \"https://0.0.0.0:8443\": listen takes "
                  "host:port without a scheme, e.g. \"0.0.0.0:8443\""));
}

TEST(ConfigListen, StillParsesHostAndPortAndStillExplainsBrackets) {
  ListenAddress out;
  EXPECT_FALSE(config_detail::parse_listen("127.0.0.1:8443", out).has_value());
  EXPECT_EQ(out.host, "127.0.0.1");
  EXPECT_EQ(out.port, 8443);
  EXPECT_FALSE(config_detail::parse_listen("[::]:443", out).has_value());
  EXPECT_EQ(out.host, "::");
  EXPECT_TRUE(Has(config_detail::parse_listen("::1:8443", out).value_or(""), "an IPv6 address goes in brackets"));
}

}  // namespace
}  // namespace chronohook::config_test
