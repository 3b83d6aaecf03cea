// The write-up stage on a finished experiment folder: a scripted model that writes each section
// with real SEARCH/REPLACE edits, citations found through the Semantic Scholar client against a
// loopback fake, the paper compiled by LaTeX in the sandbox, and the PDF read back.
#include "writeup/writer.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <regex>

#include <gtest/gtest.h>

#include "experiment/sandbox.h"
#include "http/curl_transport.h"
#include "literature/semantic_scholar.h"
#include "pdf/pdf_text.h"
#include "support/fake_clock.h"
#include "support/fake_literature_servers.h"
#include "support/temp_dir.h"

namespace {

using test_support::TempDir;

const std::filesystem::path k_source_dir = AI_SCIENTIST_SOURCE_DIR;
constexpr const char* k_title = "Weight Decay Schedules and the Timing of Grokking";

// A 4x4 red PNG, a stand-in for what plot.py draws.
const std::string k_png(
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x04\x00\x00\x00"
    "\x04\x08\x02\x00\x00\x00\x26\x93\x09\x29\x00\x00\x00\x10\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf"
    "\xc0\x00\x47\x0c\xc4\x71\x00\xae\x93\x0f\xf1\xd0\x5f\x23\x9e\x00\x00\x00\x00\x49\x45\x4e\x44"
    "\xae\x42\x60\x82",
    75);

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A model played by a function of the request.
class FunctionLlm final : public core::LlmClient {
 public:
  using Answer = std::function<std::string(const core::CompletionRequest&)>;
  explicit FunctionLlm(Answer answer) : m_answer(std::move(answer)) {}
  core::Result<core::Completion> complete(const core::CompletionRequest& request) override {
    std::lock_guard lock(m_mutex);
    m_requests.push_back(request);
    core::Completion c;
    c.texts = {m_answer(request)};
    c.finish_reason = "stop";
    c.cost_usd = 0.01;
    return c;
  }
  std::string spec() const override { return "fake/function"; }
  std::vector<core::CompletionRequest> requests() const {
    std::lock_guard lock(m_mutex);
    return m_requests;
  }

 private:
  Answer m_answer;
  mutable std::mutex m_mutex;
  std::vector<core::CompletionRequest> m_requests;
};

std::string edit(const std::string& search, const std::string& replace) {
  return "latex/template.tex\n```latex\n<<<<<<< SEARCH\n" + search + "\n=======\n" + replace +
         "\n>>>>>>> REPLACE\n```\n";
}

// What a competent model would write for each request of the write-up.
std::string scripted_writer(const core::CompletionRequest& request) {
  const std::string& message = request.messages.back().content;
  const std::string ask =
      message.substr(message.rfind("---\n") == std::string::npos ? 0 : message.rfind("---\n"));
  if (request.context.conversation == "citations") {
    if (contains(ask, "Round 1/")) {
      return "THOUGHT:\nThe related work names the first report of grokking without a "
             "citation.\n\nRESPONSE:\n```json\n{\"Description\": \"Related Work, first "
             "sentence\", \"Query\": \"grokking generalization beyond overfitting\"}\n```\n";
    }
    if (contains(ask, "Round 2/")) return "THOUGHT:\nAll set.\n\nNo more citations needed.";
    return "THOUGHT:\nResult 0 is the paper.\n\nRESPONSE:\n```json\n{\"Selected\": [0], "
           "\"Description\": \"after 'first reported'\"}\n```\n";
  }
  if (contains(ask, "Write the Title and Abstract")) {
    return "Title and abstract.\n\n" +
           edit("\\title{TITLE HERE}", std::string("\\title{") + k_title + "}") + "\n" +
           edit("ABSTRACT HERE",
                "We study how the weight decay schedule changes when a small transformer "
                "groks modular division. Decaying the coefficient brings validation accuracy "
                "to 99\\% in 2400 steps instead of 4100.");
  }
  struct Part {
    const char* section;
    const char* placeholder;
    const char* text;
  };
  static const Part parts[] = {
      {"Introduction", "INTRO HERE", "Grokking is delayed generalisation."},
      {"Background", "BACKGROUND HERE", "A transformer is trained with AdamW."},
      {"Method", "METHOD HERE", "The weight decay coefficient decays linearly."},
      {"Experimental Setup", "EXPERIMENTAL SETUP HERE", "Three seeds per setting."},
      {"Results", "RESULTS HERE",
       "Figure~\\ref{fig:val} shows validation accuracy.\n"
       "\\begin{figure}[t]\n\\centering\n\\includegraphics[width=0.3\\textwidth]{val_acc.png}\n"
       "\\caption{Validation accuracy.}\n\\label{fig:val}\n\\end{figure}"},
      {"Conclusion", "CONCLUSIONS HERE", "Schedules matter."},
      {"Related Work", "RELATED WORK HERE", "Grokking was first reported on algorithmic data."},
  };
  for (const auto& part : parts) {
    if (contains(ask, std::string("Write the ") + part.section + " of the paper")) {
      return std::string("The ") + part.section + ".\n\n" + edit(part.placeholder, part.text);
    }
  }
  if (contains(ask, "were added to the bibliography")) {
    static const std::regex key_re(R"(- (\w+): )");
    std::smatch m;
    if (!std::regex_search(ask, m, key_re)) return "no key found";
    return "Citing it.\n\n" +
           edit("Grokking was first reported on algorithmic data.",
                "Grokking was first reported on algorithmic data \\citep{" + m[1].str() + "}.");
  }
  return "It reads well; no changes are needed.";
}

struct WriteupRig {
  TempDir dir;
  test_support::FakeSemanticScholarServer s2;
  http::CurlTransport transport;
  test_support::FakeClock clock;
  std::unique_ptr<experiment::Sandbox> sandbox = experiment::Sandbox::create(true);

  WriteupRig() {
    std::filesystem::copy(k_source_dir / "templates" / "grokking", dir.path(),
                          std::filesystem::copy_options::recursive);
    dir.write_file("notes.txt",
                   "# Title: Weight decay schedules\n## Run 1: linear decay\nResults: val acc "
                   "0.99 at step 2400 (baseline: step 4100).\nval_acc.png: validation "
                   "accuracy.\n");
    dir.write_file("val_acc.png", k_png);
  }

  literature::SemanticScholar source() {
    literature::SemanticScholarSettings s;
    s.remote.base_url = s2.base_url();
    return literature::SemanticScholar(transport, clock, s);
  }
};

TEST(Writeup, WritesEverySectionCitesFromTheLiteratureAndCompilesToAPdf) {
  WriteupRig rig;
  if (!rig.sandbox->capabilities().bubblewrap) GTEST_SKIP() << "no bubblewrap here";
  test_support::S2Paper found;
  found.paper_id = "s2grok";
  found.title = "Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets";
  found.authors = {"Alethea Power", "Yuri Burda"};
  found.year = 2022;
  found.venue = "ArXiv";
  found.bibtex = "@article{Power2022Grokking,\n  title = {Grokking},\n  year = {2022}\n}\n";
  test_support::S2Paper other;
  other.paper_id = "s2other";
  other.title = "Omnigrok: Grokking Beyond Algorithmic Data";
  rig.s2.enqueue_search(test_support::s2_search_reply({other, found}));
  auto source = rig.source();
  FunctionLlm model([](const core::CompletionRequest& r) {
    std::string reply = scripted_writer(r);
    // The pick: the second result is the grokking paper.
    if (r.context.conversation == "citations" && contains(reply, "\"Selected\": [0]")) {
      reply.replace(reply.find("[0]"), 3, "[1]");
    }
    return reply;
  });
  writeup::Compiler compiler(*rig.sandbox);
  writeup::WriteupOptions options;
  options.idea = "weight_decay_schedule";
  std::vector<std::string> progress;
  auto result = writeup::write_paper(model, &source, compiler, rig.dir.path(), options,
                                     [&](std::string_view line) { progress.emplace_back(line); });
  ASSERT_TRUE(result) << result.error().message;

  EXPECT_EQ(result->sections.size(), 8u);
  EXPECT_EQ(result->citation_rounds, 2);
  ASSERT_EQ(result->cited.size(), 1u);
  const std::string tex = read_file(rig.dir.path() / "latex" / "template.tex");
  EXPECT_FALSE(contains(tex, "INTRO HERE")) << tex;
  EXPECT_TRUE(contains(tex, "\\citep{" + result->cited[0] + "}")) << tex;
  // The entry is the source's own BibTeX, under the engine's key; the template's stay.
  const std::string bib = read_file(rig.dir.path() / "latex" / "references.bib");
  EXPECT_TRUE(contains(bib, "@article{" + result->cited[0] + ",")) << bib;
  EXPECT_TRUE(contains(bib, "power2022grokking")) << bib;
  EXPECT_FALSE(contains(bib, "Omnigrok")) << bib;

  ASSERT_TRUE(result->compile.pdf_produced) << writeup::to_json(*result).dump(2);
  EXPECT_TRUE(result->compile.problems.empty()) << writeup::to_json(*result).dump(2);
  EXPECT_EQ(result->repair_rounds, 0);
  const auto pdf = rig.dir.path() / "weight_decay_schedule.pdf";
  ASSERT_TRUE(std::filesystem::exists(pdf));
  EXPECT_GE(result->compile.pages, 1);
  auto text = pdf::read_text(pdf);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_TRUE(contains(*text, "Weight Decay Schedules")) << *text;
  EXPECT_TRUE(contains(*text, "Grokking was first reported")) << *text;

  auto record = nlohmann::json::parse(read_file(rig.dir.path() / "writeup.json"));
  EXPECT_EQ(record["pages"], result->compile.pages);
  EXPECT_EQ(record["pdf_produced"], true);
  EXPECT_DOUBLE_EQ(record["cost_usd"].get<double>(), 0.01 * model.requests().size());
  EXPECT_FALSE(progress.empty());

  // The coder saw the notes for reference, and every coder turn kept its own transcript key.
  const auto requests = model.requests();
  EXPECT_TRUE(contains(requests.front().messages.back().content, "val acc 0.99"));
  std::set<std::tuple<std::string, std::string, int>> keys;
  for (const auto& r : requests) {
    EXPECT_TRUE(keys.insert({r.context.stage, r.context.conversation, r.context.turn}).second);
    EXPECT_EQ(r.context.idea, "weight_decay_schedule");
  }
}

TEST(Writeup, ALatexErrorGoesBackToTheModelAndIsRepaired) {
  WriteupRig rig;
  if (!rig.sandbox->capabilities().bubblewrap) GTEST_SKIP() << "no bubblewrap here";
  int repairs = 0;
  FunctionLlm model([&](const core::CompletionRequest& r) -> std::string {
    const std::string& message = r.messages.back().content;
    if (contains(message, "Write the Method of the paper")) {
      // An undefined control sequence TeX recovers from.
      return edit("METHOD HERE", "The coefficient decays as \\decayrate{} over training.");
    }
    if (contains(message, "Compiling the paper with LaTeX reported")) {
      ++repairs;
      EXPECT_TRUE(contains(message, "decayrate")) << message;
      return edit("The coefficient decays as \\decayrate{} over training.",
                  "The coefficient decays linearly over training.");
    }
    return scripted_writer(r);
  });
  writeup::Compiler compiler(*rig.sandbox);
  writeup::WriteupOptions options;
  options.idea = "decay";
  auto result = writeup::write_paper(model, nullptr, compiler, rig.dir.path(), options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(repairs, 1);
  EXPECT_EQ(result->repair_rounds, 1);
  EXPECT_TRUE(result->compile.pdf_produced);
  EXPECT_TRUE(result->compile.problems.empty()) << writeup::to_json(*result).dump(2);
  // Without a literature source the paper is written anyway, and the record says so.
  EXPECT_TRUE(result->cited.empty());
  const auto notes = writeup::to_json(*result)["notes"].dump();
  EXPECT_TRUE(contains(notes, "no literature source")) << notes;
}

TEST(Writeup, AReviewImprovesTheWrittenPaperWhichIsCompiledAgain) {
  WriteupRig rig;
  if (!rig.sandbox->capabilities().bubblewrap) GTEST_SKIP() << "no bubblewrap here";
  FunctionLlm model([](const core::CompletionRequest& r) -> std::string {
    const std::string& message = r.messages.back().content;
    if (contains(message, "A reviewer read the paper")) {
      EXPECT_TRUE(contains(message, "Only one seed")) << message;
      EXPECT_EQ(r.context.conversation, "improvement");
      return edit("Schedules matter.",
                  "Schedules matter. With three seeds per setting, the evidence is limited.");
    }
    return scripted_writer(r);
  });
  writeup::Compiler compiler(*rig.sandbox);
  writeup::WriteupOptions options;
  options.idea = "wd";
  ASSERT_TRUE(writeup::write_paper(model, nullptr, compiler, rig.dir.path(), options));
  const nlohmann::json review = {{"Weaknesses", {"Only one seed is reported."}}, {"Overall", 4}};
  auto improved = writeup::improve_paper(model, compiler, rig.dir.path(), review, options);
  ASSERT_TRUE(improved) << improved.error().message;
  EXPECT_TRUE(improved->compile.pdf_produced);
  EXPECT_TRUE(
      contains(read_file(rig.dir.path() / "latex" / "template.tex"), "evidence is limited"));
  auto text = pdf::read_text(rig.dir.path() / "wd.pdf");
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_TRUE(contains(*text, "evidence is limited")) << *text;
  EXPECT_TRUE(std::filesystem::exists(rig.dir.path() / "improvement.json"));
  EXPECT_TRUE(std::filesystem::exists(rig.dir.path() / "writeup.json"));
}

TEST(Writeup, AFolderWithoutNotesIsRefusedBeforeAnyCall) {
  WriteupRig rig;
  std::filesystem::remove(rig.dir.path() / "notes.txt");
  FunctionLlm model(scripted_writer);
  writeup::Compiler compiler(*rig.sandbox);
  auto result = writeup::write_paper(model, nullptr, compiler, rig.dir.path(), {});
  ASSERT_FALSE(result);
  EXPECT_TRUE(contains(result.error().message, "notes.txt")) << result.error().message;
  EXPECT_TRUE(model.requests().empty());
}

}  // namespace
