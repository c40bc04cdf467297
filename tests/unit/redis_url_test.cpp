// redis:// URLs as the broker and the shared cache read them (src/redis/url).

#include <gtest/gtest.h>

#include "redis/url.hpp"

namespace sluice::redis {
namespace {

TEST(redis_url, host_port_and_db) {
  auto e = parse_url("redis://cache.example:6380/2");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "cache.example");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->db, 2);
  EXPECT_TRUE(e->user.empty());
  EXPECT_TRUE(e->password.empty());
  auto d = parse_url("redis://h");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, 6379);
  EXPECT_EQ(d->db, 0);
}

TEST(redis_url, credentials_in_every_form) {
  struct row {
    const char* url;
    const char* user;
    const char* password;
  };
  for (const row& r : {row{"redis://alice:pw@h:1/0", "alice", "pw"},
                       row{"redis://:pw@h", "", "pw"},
                       row{"redis://pw@h", "", "pw"},
                       row{"redis://a%3Ab:p%40ss%2F@h", "a:b", "p@ss/"},
                       row{"redis://u:p@ss@h", "u", "p@ss"}}) {
    auto e = parse_url(r.url);
    ASSERT_TRUE(e) << r.url;
    EXPECT_EQ(e->user, r.user) << r.url;
    EXPECT_EQ(e->password, r.password) << r.url;
    EXPECT_EQ(e->host, "h") << r.url;
  }
}

TEST(redis_url, malformed_urls_are_refused_without_throwing) {
  for (const char* url : {"http://h:1", "redis://", "redis://:1", "redis://h:0", "redis://h:65536",
                          "redis://h:99999999999999999999", "redis://h:abc", "redis://h:12x",
                          "redis://h:", "redis://h/x", "redis://h/-1",
                          "redis://h/99999999999999999999", "redis://a%zz@h", "redis://a%2@h"}) {
    EXPECT_FALSE(parse_url(url)) << url;
  }
}

}  // namespace
}  // namespace sluice::redis
