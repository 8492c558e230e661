// Which passed socket is which listener, from the names systemd gives them.
#include "app/listen_fds.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace chronohook::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ListenerRoles, NamedSocketsGoWhereTheirNamesSayInAnyOrder) {
  auto roles = assign_listener_roles({"admin", "webhook"});
  ASSERT_TRUE(roles.ok()) << roles.error().message;
  EXPECT_THAT(*roles, ElementsAre(ListenerRole::kAdmin, ListenerRole::kWebhook));
}

TEST(ListenerRoles, AnAdminSocketAloneLeavesTheWebhookListenerToTheConfig) {
  auto roles = assign_listener_roles({"admin"});
  ASSERT_TRUE(roles.ok());
  EXPECT_THAT(*roles, ElementsAre(ListenerRole::kAdmin));
}

TEST(ListenerRoles, WithoutTheNamesTheFirstIsTheWebhookListenerAndTheSecondTheAdmin) {
  auto one = assign_listener_roles({"unknown"});
  ASSERT_TRUE(one.ok());
  EXPECT_THAT(*one, ElementsAre(ListenerRole::kWebhook));
  // A socket unit without FileDescriptorName= passes its own name.
  auto two = assign_listener_roles({"chronohook.socket", "chronohook.socket"});
  ASSERT_TRUE(two.ok());
  EXPECT_THAT(*two, ElementsAre(ListenerRole::kWebhook, ListenerRole::kAdmin));
}

TEST(ListenerRoles, ThreeUnnamedSocketsAreRefused) {
  auto roles = assign_listener_roles({"unknown", "unknown", "unknown"});
  ASSERT_FALSE(roles.ok());
  EXPECT_THAT(roles.error().message, HasSubstr("3 sockets passed"));
}

TEST(ListenerRoles, AStrangeNameBesideAKnownOneIsRefused) {
  auto roles = assign_listener_roles({"webhook", "metrics"});
  ASSERT_FALSE(roles.ok());
  EXPECT_THAT(roles.error().message, HasSubstr("socket 2 is named \"metrics\""));
}

TEST(ListenerRoles, TwoSocketsWithTheSameNameAreRefused) {
  auto roles = assign_listener_roles({"webhook", "webhook"});
  ASSERT_FALSE(roles.ok());
  EXPECT_THAT(roles.error().message, HasSubstr("two sockets are named \"webhook\""));
}

TEST(ListenerRoles, NothingPassedIsNothingToAssign) {
  auto roles = assign_listener_roles({});
  ASSERT_TRUE(roles.ok());
  EXPECT_TRUE(roles->empty());
}

}  // namespace
}  // namespace chronohook::app
