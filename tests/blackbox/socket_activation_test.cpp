// Socket activation the way systemd does it: the test binds and listens,
// passes the sockets as descriptors 3 and 4 with LISTEN_FDS, LISTEN_PID (the
// daemon's own pid) and LISTEN_FDNAMES, and the daemon serves on them
// without binding the addresses its config names.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <stdexcept>
#include <string>

#include "support/admin_api.hpp"
#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

AdminOptions admin_on(std::string listen) {
  AdminOptions admin;
  admin.listen = std::move(listen);
  return admin;
}

using ::testing::HasSubstr;
using ::testing::Not;

// A socket on 127.0.0.1 with a kernel-chosen port; closed on destruction.
class LoopbackSocket {
 public:
  // SOCK_STREAM + listen(): what a ListenStream= unit passes. Without
  // listen() the port is only held, so nobody else can bind it (the daemon
  // sets SO_REUSEADDR, this socket does not, so its bind fails).
  LoopbackSocket(int type, bool listening) {
    fd_ = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        (listening && ::listen(fd_, 128) != 0) || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error(std::string("test socket: ") + std::strerror(errno));
    }
    port_ = ntohs(addr.sin_port);
  }
  ~LoopbackSocket() { ::close(fd_); }
  LoopbackSocket(const LoopbackSocket&) = delete;
  LoopbackSocket& operator=(const LoopbackSocket&) = delete;

  int fd() const { return fd_; }
  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

std::string with_webhook_listen(std::string config, const std::string& address) {
  const std::string from = "listen = \"127.0.0.1:0\"";
  config.replace(config.find(from), from.size(), "listen = \"" + address + "\"");
  return config;
}

// What systemd puts in the environment of a service with sockets.
Launch activated(std::vector<int> fds, std::string names) {
  Launch launch;
  launch.tls = true;
  launch.pass_fds = std::move(fds);
  launch.env["LISTEN_FDS"] = std::to_string(launch.pass_fds.size());
  if (!names.empty()) launch.env["LISTEN_FDNAMES"] = std::move(names);
  launch.own_pid_variables = {"LISTEN_PID"};
  return launch;
}

bool accepts_connections(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// The daemon is expected to refuse to start: the message it died with.
std::string start_failure(const std::string& config, const Launch& launch) {
  try {
    Daemon daemon(config, launch);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "it started";
}

TEST(SocketActivation, ServesHooksAndTheApiOnThePassedSocketsAndBindsNeitherConfiguredAddress) {
  const LoopbackSocket webhook(SOCK_STREAM, true);
  const LoopbackSocket admin(SOCK_STREAM, true);
  const LoopbackSocket held_webhook(SOCK_STREAM, false);  // the config's addresses, which must stay unbound
  const LoopbackSocket held_admin(SOCK_STREAM, false);
  const std::string config = with_webhook_listen(admin_config(admin_on(held_admin.address())), held_webhook.address());

  Daemon daemon(config, activated({webhook.fd(), admin.fd()}, "webhook:admin"));
  EXPECT_EQ(daemon.port(), webhook.port()) << "\"listening on\" names the passed socket";
  EXPECT_EQ(admin_port(daemon), admin.port());
  const std::string log = daemon.log_text();
  EXPECT_THAT(log, HasSubstr("socket activation: fd 3 (\"webhook\") is the webhook listener on " + webhook.address() +
                             "; [server] listen " + held_webhook.address() + " is not bound"));
  EXPECT_THAT(log, HasSubstr("socket activation: fd 4 (\"admin\") is the admin listener on " + admin.address() +
                             "; [admin] listen " + held_admin.address() + " is not bound"));

  const Request hook = signed_hook(kMainSecret);
  const Response stored = daemon.send(hook);
  ASSERT_EQ(stored.status, 200) << stored.body;
  EXPECT_TRUE(event_for(daemon.db_path(), "main", delivery_of(hook)).has_value());
  const Response page =
      send_once(admin.port(), admin_client_options(daemon, false), admin_request("GET", "/v1/events"));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page_seqs(page.body).size(), 1u);

  EXPECT_FALSE(accepts_connections(held_webhook.port()));
  EXPECT_FALSE(accepts_connections(held_admin.port()));
  EXPECT_EQ(daemon.stop(), 0);
}

TEST(SocketActivation, WithoutNamesTheFirstSocketIsTheWebhookListener) {
  const LoopbackSocket webhook(SOCK_STREAM, true);
  const LoopbackSocket held(SOCK_STREAM, false);
  Daemon daemon(with_webhook_listen(make_config(), held.address()), activated({webhook.fd()}, ""));
  EXPECT_EQ(daemon.port(), webhook.port());
  EXPECT_THAT(daemon.log_text(), HasSubstr("fd 3 (\"unknown\") is the webhook listener on " + webhook.address()));
  EXPECT_EQ(daemon.send(signed_hook(kMainSecret)).status, 200);
  EXPECT_EQ(count_events(daemon.db_path()), 1);
}

TEST(SocketActivation, AConnectionMadeWhileTheServiceIsDownIsServedByTheNextStart) {
  // The test holds the socket as systemd does between a stop and a start.
  const LoopbackSocket webhook(SOCK_STREAM, true);
  ConfigOptions plain_http;
  plain_http.tls = false;
  Launch launch = activated({webhook.fd()}, "webhook");
  launch.tls = false;
  {
    Daemon first(make_config(plain_http), launch);
    ASSERT_EQ(first.send(signed_hook(kMainSecret)).status, 200);
    ASSERT_EQ(first.stop(), 0);
  }
  // Nobody accepts now: the connection waits in the backlog, not refused.
  const Request hook = signed_hook(kMainSecret);
  ClientOptions client;
  client.tls = false;
  client.timeout = std::chrono::seconds(60);
  auto answer = std::async(std::launch::async, [&] { return send_once(webhook.port(), client, hook); });
  EXPECT_EQ(answer.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout);

  Daemon second(make_config(plain_http), launch);
  ASSERT_EQ(answer.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(answer.get().status, 200);
  EXPECT_TRUE(event_for(second.db_path(), "main", delivery_of(hook)).has_value());
}

TEST(SocketActivation, SocketsMeantForAnotherProcessAreLeftAloneAndTheConfiguredAddressIsBound) {
  const LoopbackSocket webhook(SOCK_STREAM, true);
  Launch launch = activated({webhook.fd()}, "webhook");
  launch.own_pid_variables.clear();
  launch.env["LISTEN_PID"] = "1";  // systemd set them for another process
  Daemon daemon(make_config(), launch);
  EXPECT_NE(daemon.port(), webhook.port());
  EXPECT_THAT(daemon.log_text(), Not(HasSubstr("socket activation")));
  EXPECT_EQ(daemon.send(signed_hook(kMainSecret)).status, 200);
}

TEST(SocketActivation, RefusesToStartOnASocketThatIsNotAListeningTcpSocket) {
  const LoopbackSocket datagram(SOCK_DGRAM, false);
  const std::string why = start_failure(make_config(), activated({datagram.fd()}, "webhook"));
  EXPECT_THAT(why, HasSubstr("exited with code 2"));
  EXPECT_THAT(why, HasSubstr("socket activation: fd 3 (\"webhook\") is not a listening TCP socket"));

  const LoopbackSocket unlistened(SOCK_STREAM, false);
  EXPECT_THAT(start_failure(make_config(), activated({unlistened.fd()}, "webhook")),
              HasSubstr("is not a listening TCP socket"));
}

TEST(SocketActivation, RefusesAnAdminSocketWhenTheConfigHasNoAdminTable) {
  const LoopbackSocket webhook(SOCK_STREAM, true);
  const LoopbackSocket admin(SOCK_STREAM, true);
  const std::string why = start_failure(make_config(), activated({webhook.fd(), admin.fd()}, "webhook:admin"));
  EXPECT_THAT(why, HasSubstr("exited with code 2"));
  EXPECT_THAT(why, HasSubstr("fd 4 (\"admin\") is for the admin listener, but the config has no [admin] table"));
}

}  // namespace
}  // namespace chronohook::testing
