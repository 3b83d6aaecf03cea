#include "core/environment.h"

#include <gtest/gtest.h>

namespace {

TEST(Environment, ReadsNameValuePairsAndTreatsEmptyAsUnset) {
  char a[] = "OPENAI_API_KEY=sk-123=abc";
  char b[] = "EMPTY=";
  char c[] = "NOEQUALS";
  char* envp[] = {a, b, c, nullptr};
  auto env = core::Environment::from_process(envp);
  EXPECT_EQ(env.get("OPENAI_API_KEY").value(), "sk-123=abc");
  EXPECT_FALSE(env.get("EMPTY"));
  EXPECT_FALSE(env.get("NOEQUALS"));
  EXPECT_EQ(env.get_or("MISSING", "fallback"), "fallback");
}

TEST(Environment, SetAndUnset) {
  core::Environment env;
  env.set("A", "1");
  EXPECT_EQ(env.get("A").value(), "1");
  env.unset("A");
  EXPECT_FALSE(env.get("A"));
}

}  // namespace
