// max_connections against the open-file limit (issue 13, point 1).
#include "app/fd_limit.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace chronohook::app {
namespace {

TEST(FitConnections, AConfigThatFitsIsKept) {
  const ConnectionBudget b = fit_connections(1024, 1024 * 1024);
  EXPECT_EQ(b.max_connections, 1024u);
  EXPECT_FALSE(b.clamped);
  EXPECT_FALSE(fit_connections(1024 - kReservedDescriptors, 1024).clamped);
}

TEST(FitConnections, TheUsualSoftLimitOf1024CannotHoldTheDefault1024Connections) {
  const ConnectionBudget b = fit_connections(1024, 1024);
  EXPECT_TRUE(b.clamped);
  EXPECT_EQ(b.max_connections, 1024u - kReservedDescriptors);
}

TEST(FitConnections, AnAbsurdlyLowLimitStillLeavesOneConnection) {
  EXPECT_EQ(fit_connections(1024, 10).max_connections, 1u);
  EXPECT_TRUE(fit_connections(1024, 10).clamped);
}

TEST(FitConnections, TheWarningSaysTheNumbersAndHowToRaiseTheLimit) {
  const std::string w = clamp_warning(1024, fit_connections(1024, 256), 256);
  EXPECT_THAT(w, ::testing::HasSubstr("max_connections = 1024"));
  EXPECT_THAT(w, ::testing::HasSubstr("open-file limit of 256"));
  EXPECT_THAT(w, ::testing::HasSubstr("at most 192"));
  EXPECT_THAT(w, ::testing::HasSubstr("LimitNOFILE="));
}

TEST(FitConnections, TheAdminListenersDescriptorsComeOffTheBudgetAndIntoTheAdvice) {
  // 1024 descriptors, 269 of them the admin side's: 755 left, 64 spare.
  const std::string w = clamp_warning(1024, fit_connections(1024, 1024 - 269), 1024, 269);
  EXPECT_THAT(w, ::testing::HasSubstr("269 for the [admin] listener"));
  EXPECT_THAT(w, ::testing::HasSubstr("at most 691"));
  EXPECT_THAT(w, ::testing::HasSubstr("at least " + std::to_string(1024 + 64 + 269)));
}

}  // namespace
}  // namespace chronohook::app
