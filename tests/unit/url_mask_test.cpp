// Issue 11 #20: no credential of any URL form reaches a log line.
#include "app/url_mask.hpp"

#include <gtest/gtest.h>

namespace {

struct mask_case {
  const char* url;
  const char* masked;
};

TEST(url_mask, every_credential_form_is_masked) {
  const mask_case cases[] = {
      {"sqlite://data/sluice.db", "sqlite://data/sluice.db"},
      {"postgres://app@db:5432/sluice", "postgres://app@db:5432/sluice"},
      {"postgres://app:pw1@db:5432/sluice", "postgres://app:***@db:5432/sluice"},
      {"postgres://app@db/sluice?sslmode=require&password=pw2",
       "postgres://app@db/sluice?sslmode=require&password=***"},
      {"postgres://app@db/sluice?PASSWORD=pw3&sslmode=require",
       "postgres://app@db/sluice?PASSWORD=***&sslmode=require"},
      {"host=db user=app password=pw4 dbname=x", "host=db user=app password=*** dbname=x"},
      {"amqp://guest:pw5@mq:5672/%2f", "amqp://guest:***@mq:5672/%2f"},
      {"amqp://guest@mq:5672/", "amqp://guest@mq:5672/"},
      {"redis://secret6@cache:6379/2", "redis://***@cache:6379/2"},
      {"redis://:secret7@cache:6379", "redis://:***@cache:6379"},
      {"redis://user:secret8@cache", "redis://user:***@cache"},
      {"nats://tok9@n1:4222", "nats://***@n1:4222"},
      {"nats://a:p10@n1:4222,nats://b:p11@n2:4222", "nats://a:***@n1:4222,nats://b:***@n2:4222"},
      {"nats://t12@n1,nats://t13@n2,n3:4222", "nats://***@n1,nats://***@n2,n3:4222"},
      {"nats://u:p@ss14@n1", "nats://u:***@n1"},
      {"https://sqs.example/?token=t15", "https://sqs.example/?token=***"},
  };
  for (const auto& c : cases) EXPECT_EQ(sluice::app::mask_password(c.url), c.masked) << c.url;
}

}  // namespace
