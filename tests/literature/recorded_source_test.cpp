#include "literature/recorded_source.h"

#include <gtest/gtest.h>

namespace {

TEST(RecordedSource, AnswersRecordedQueriesAndFindsNothingForOthers) {
  auto source = literature::RecordedSource::from_json(R"({"queries": {
      "Grokking  Weight Decay": [
        {"title": "Grokking: Generalization Beyond Overfitting", "authors": ["Alethea Power"],
         "year": 2022, "venue": "arXiv", "arxiv_id": "2201.02177"},
        {"title": "Omnigrok", "authors": ["Ziming Liu"], "year": 2023,
         "bibtex": "@inproceedings{liu2023omnigrok,\n  title = {Omnigrok}\n}\n"}]}})",
                                                      "test recording");
  ASSERT_TRUE(source) << source.error().message;
  auto found = (*source)->search("  grokking weight decay ", 10);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].year, 2022);
  EXPECT_EQ((*found)[0].source, "recorded");
  // A paper without BibTeX gets one from its metadata; one with BibTeX keeps it.
  EXPECT_NE((*found)[0].bibtex.find("Grokking"), std::string::npos);
  EXPECT_NE((*found)[1].bibtex.find("liu2023omnigrok"), std::string::npos);
  EXPECT_EQ((*source)->search("grokking weight decay", 1)->size(), 1u);
  EXPECT_TRUE((*source)->search("something else", 10)->empty());
}

TEST(RecordedSource, AMalformedRecordingIsRefusedByName) {
  for (const char* bad :
       {"[]", "{\"queries\": {\"q\": {}}}", "{\"queries\": {\"q\": [{}]}}", "not json"}) {
    auto source = literature::RecordedSource::from_json(bad, "demo.json");
    ASSERT_FALSE(source) << bad;
    EXPECT_NE(source.error().message.find("demo.json"), std::string::npos);
  }
}

}  // namespace
