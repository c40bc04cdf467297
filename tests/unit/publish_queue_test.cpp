// The shared publish queue with a fake sender: admission (closed, fast-fail,
// max_pending with the oversized-alone case), exactly-once callbacks,
// grouping of whole calls, per-call results and draining on close().

#include "broker/publish_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>

namespace sluice::broker {
namespace {

using namespace std::chrono_literals;

// Records each group; blocks in send() while `hold` is set, so tests can
// pile calls up behind a group in progress. Fails items whose id is in `fail`.
class fake_sender : public group_sender<message> {
 public:
  void send(std::span<message> items, std::span<const std::size_t> calls,
            std::span<std::error_code> out) override {
    std::unique_lock lock(mu_);
    entered_ = true;
    entered_cv_.notify_all();
    release_cv_.wait(lock, [&] { return !hold_; });
    std::size_t counted = 0;
    for (auto n : calls) counted += n;
    EXPECT_EQ(counted, items.size());
    groups_.emplace_back();
    for (std::size_t i = 0; i < items.size(); ++i) {
      groups_.back().push_back(items[i].id);
      if (items[i].id == fail_) out[i] = errc::conflict;
    }
  }
  std::error_code refuse() override { return refuse_.load() ? errc::unavailable : std::error_code{}; }

  void hold() {
    std::lock_guard lock(mu_);
    hold_ = true;
    entered_ = false;
  }
  void wait_entered() {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(entered_cv_.wait_for(lock, 10s, [&] { return entered_; }));
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      hold_ = false;
    }
    release_cv_.notify_all();
  }
  std::vector<std::vector<std::string>> groups() {
    std::lock_guard lock(mu_);
    return groups_;
  }

  std::atomic<bool> refuse_{false};
  std::string fail_;

 private:
  std::mutex mu_;
  std::condition_variable entered_cv_, release_cv_;
  bool hold_ = false;
  bool entered_ = false;
  std::vector<std::vector<std::string>> groups_;
};

std::vector<message> msgs(const std::string& prefix, std::size_t n) {
  std::vector<message> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i].id = prefix + std::to_string(i);
  return v;
}

// Counts its calls and keeps the first result.
struct outcome {
  std::atomic<int> calls{0};
  std::promise<std::error_code> result;
  publish_callback callback() {
    return [this](std::error_code ec) {
      if (calls.fetch_add(1) == 0) result.set_value(ec);
    };
  }
  std::error_code get() {
    auto f = result.get_future();
    EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
    return f.get();
  }
};

TEST(publish_queue, each_callback_runs_exactly_once_with_success) {
  fake_sender s;
  std::vector<std::unique_ptr<outcome>> outs;
  {
    publish_queue<message> q(s, {});
    for (int i = 0; i < 50; ++i) {
      outs.push_back(std::make_unique<outcome>());
      q.submit(msgs("m" + std::to_string(i) + "-", 3), outs.back()->callback());
    }
    q.close();
  }
  for (auto& o : outs) {
    EXPECT_EQ(o->get(), std::error_code{});
    EXPECT_EQ(o->calls.load(), 1);
  }
}

TEST(publish_queue, max_pending_refuses_beyond_it_but_lets_an_oversized_call_in_alone) {
  fake_sender s;
  s.hold();
  publish_queue<message> q(s, {.max_pending = 4});
  outcome big, small, fits, over;
  q.submit(msgs("big", 10), big.callback());  // alone: let in
  s.wait_entered();
  q.submit(msgs("s", 1), small.callback());   // 10 pending + 1 > 4
  EXPECT_EQ(small.get(), make_error_code(errc::overloaded));
  s.release();
  EXPECT_EQ(big.get(), std::error_code{});
  // Nothing pending now; then 3 + 1 fits, 4 + 1 does not.
  s.hold();
  q.submit(msgs("f", 3), fits.callback());
  s.wait_entered();
  outcome one;
  q.submit(msgs("o", 1), one.callback());
  q.submit(msgs("x", 1), over.callback());
  EXPECT_EQ(over.get(), make_error_code(errc::overloaded));
  s.release();
  EXPECT_EQ(fits.get(), std::error_code{});
  EXPECT_EQ(one.get(), std::error_code{});
  EXPECT_EQ(big.calls.load() + small.calls.load() + over.calls.load(), 3);
}

TEST(publish_queue, groups_whole_calls_up_to_max_group) {
  fake_sender s;
  s.hold();
  publish_queue<message> q(s, {.max_group = 5});
  outcome first, a, b, c;
  q.submit(msgs("first", 1), first.callback());
  s.wait_entered();  // the rest queue up behind the group in progress
  q.submit(msgs("a", 2), a.callback());
  q.submit(msgs("b", 3), b.callback());
  q.submit(msgs("c", 2), c.callback());  // 2 + 3 + 2 > 5: next group
  s.release();
  for (auto* o : {&first, &a, &b, &c}) EXPECT_EQ(o->get(), std::error_code{});
  auto g = s.groups();
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[0], (std::vector<std::string>{"first0"}));
  EXPECT_EQ(g[1], (std::vector<std::string>{"a0", "a1", "b0", "b1", "b2"}));
  EXPECT_EQ(g[2], (std::vector<std::string>{"c0", "c1"}));
}

TEST(publish_queue, a_call_larger_than_max_group_is_one_group) {
  fake_sender s;
  publish_queue<message> q(s, {.max_group = 2});
  outcome o;
  q.submit(msgs("m", 5), o.callback());
  EXPECT_EQ(o.get(), std::error_code{});
  ASSERT_EQ(s.groups().size(), 1u);
  EXPECT_EQ(s.groups()[0].size(), 5u);
}

TEST(publish_queue, fast_fail_refuses_at_once_without_sending) {
  fake_sender s;
  publish_queue<message> q(s, {});
  s.refuse_ = true;
  outcome o;
  q.submit(msgs("m", 2), o.callback());
  EXPECT_EQ(o.get(), make_error_code(errc::unavailable));
  q.close();
  EXPECT_TRUE(s.groups().empty());
  EXPECT_EQ(o.calls.load(), 1);
}

TEST(publish_queue, close_completes_what_was_accepted_and_refuses_later_calls) {
  fake_sender s;
  s.hold();
  publish_queue<message> q(s, {});
  outcome first, queued, later;
  q.submit(msgs("first", 1), first.callback());
  s.wait_entered();
  q.submit(msgs("queued", 2), queued.callback());
  std::thread closer([&] { q.close(); });
  // close() waits for the accepted calls; release them from here.
  s.release();
  closer.join();
  EXPECT_EQ(first.get(), std::error_code{});
  EXPECT_EQ(queued.get(), std::error_code{});
  q.submit(msgs("later", 1), later.callback());
  EXPECT_EQ(later.get(), make_error_code(errc::closed));
  EXPECT_EQ(s.groups().size(), 2u);
}

TEST(publish_queue, close_from_a_callback_does_not_deadlock) {
  fake_sender s;
  auto q = std::make_unique<publish_queue<message>>(s, publish_queue_options{});
  outcome o;
  q->submit(msgs("m", 1), [&](std::error_code ec) {
    q->close();
    o.callback()(ec);
  });
  EXPECT_EQ(o.get(), std::error_code{});
  q.reset();
}

TEST(publish_queue, a_failing_message_fails_only_its_own_call) {
  fake_sender s;
  s.fail_ = "b1";
  s.hold();
  publish_queue<message> q(s, {});
  outcome first, a, b, c;
  q.submit(msgs("first", 1), first.callback());
  s.wait_entered();
  q.submit(msgs("a", 2), a.callback());
  q.submit(msgs("b", 3), b.callback());
  q.submit(msgs("c", 2), c.callback());
  s.release();
  EXPECT_EQ(first.get(), std::error_code{});
  EXPECT_EQ(a.get(), std::error_code{});
  EXPECT_EQ(b.get(), make_error_code(errc::conflict));
  EXPECT_EQ(c.get(), std::error_code{});
  ASSERT_EQ(s.groups().size(), 2u);  // a, b and c were still one group
}

// Issue 11 #27: a call of which one message may be stored is never reported
// as refused ("nothing accepted"), whichever message failed first.
TEST(publish_queue, an_unknown_outcome_wins_over_any_refusal_in_the_same_call) {
  const std::error_code ok{};
  const std::error_code refused = errc::unavailable;
  const std::error_code unknown = errc::outcome_unknown;
  const std::error_code conflict = errc::conflict;
  auto of = [](std::initializer_list<std::error_code> r) {
    return detail::first_error(std::span<const std::error_code>(r.begin(), r.size()));
  };
  EXPECT_EQ(of({ok, ok}), ok);
  EXPECT_EQ(of({ok, refused, conflict}), refused);
  EXPECT_EQ(of({refused, unknown}), unknown);
  EXPECT_EQ(of({conflict, ok, unknown, refused}), unknown);
}

TEST(publish_queue, an_empty_call_succeeds_at_once) {
  fake_sender s;
  publish_queue<message> q(s, {});
  outcome o;
  q.submit({}, o.callback());
  EXPECT_EQ(o.get(), std::error_code{});
  EXPECT_TRUE(s.groups().empty());
}

// A sender with work of its own (the NATS replay after a drop): wake() makes
// an idle queue thread ask wake_at() again and call on_wake().
class waking_sender : public group_sender<message> {
 public:
  void send(std::span<message>, std::span<const std::size_t>,
            std::span<std::error_code>) override {}
  std::optional<clock::time_point> wake_at() override {
    return due.load() ? std::optional(clock::now()) : std::nullopt;
  }
  void on_wake() override {
    if (due.exchange(false)) woken.set_value();
  }
  std::atomic<bool> due{false};
  std::promise<void> woken;
};

TEST(publish_queue, wake_makes_an_idle_queue_call_on_wake) {
  waking_sender s;
  publish_queue<message> q(s, {});
  std::this_thread::sleep_for(20ms);  // let the queue thread go idle (no wake due)
  s.due = true;
  q.wake();
  EXPECT_EQ(s.woken.get_future().wait_for(10s), std::future_status::ready);
}

}  // namespace
}  // namespace sluice::broker
