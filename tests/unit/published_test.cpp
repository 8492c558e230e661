// Published<T>: readers see a new value from their next refresh on, and a
// value a reader still holds lives until it lets go.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "chronohook/published.hpp"

namespace chronohook {
namespace {

TEST(Published, AReaderSeesTheInitialValueThenEachPublishedOne) {
  Published<const std::string> p(std::make_shared<const std::string>("first"));
  Published<const std::string>::Copy copy;
  EXPECT_EQ(p.refresh(copy), "first");
  p.publish(std::make_shared<const std::string>("second"));
  EXPECT_EQ(p.refresh(copy), "second");
  EXPECT_EQ(*p.get().value, "second");
}

TEST(Published, AValueAReaderHoldsOutlivesItsReplacement) {
  Published<const std::string> p(std::make_shared<const std::string>("old"));
  Published<const std::string>::Copy held;
  const std::string& in_use = p.refresh(held);
  std::weak_ptr<const std::string> watch = held.value;
  p.publish(std::make_shared<const std::string>("new"));
  EXPECT_EQ(in_use, "old");  // a request in flight keeps what it started with
  EXPECT_FALSE(watch.expired());
  EXPECT_EQ(p.refresh(held), "new");
  EXPECT_TRUE(watch.expired());  // released once the last reader moved on
}

TEST(Published, ReadersOnManyThreadsNeverSeeAnUnpublishedValue) {
  Published<const int> p(std::make_shared<const int>(0));
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      Published<const int>::Copy copy;
      int last = 0;
      while (!stop.load()) {
        const int v = p.refresh(copy);
        if (v < last || v > 1000) bad.fetch_add(1);  // published in increasing order
        last = v;
      }
    });
  }
  for (int i = 1; i <= 1000; ++i) p.publish(std::make_shared<const int>(i));
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace chronohook
