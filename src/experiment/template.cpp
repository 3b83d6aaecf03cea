#include "experiment/template.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace experiment {
namespace {

using core::ErrorCode;

std::optional<std::string> slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Reads typed values from one TOML table, collecting the first error with the file and key.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string section, std::string_view source)
      : m_table(table), m_section(std::move(section)), m_source(source) {}

  void strings(const char* key, std::vector<std::string>& out) {
    const toml::node* node = m_table.get(key);
    if (!node) return;
    const toml::array* arr = node->as_array();
    std::vector<std::string> values;
    if (arr) {
      for (const auto& item : *arr) {
        if (auto s = item.value<std::string>()) {
          values.push_back(*s);
        } else {
          arr = nullptr;
          break;
        }
      }
    }
    if (!arr) return wrong(key, "a list of strings");
    out = std::move(values);
  }
  void string(const char* key, std::string& out) {
    const toml::node* node = m_table.get(key);
    if (!node) return;
    if (auto s = node->value<std::string>()) {
      out = *s;
    } else {
      wrong(key, "a string");
    }
  }
  template <typename Int>
  void integer(const char* key, Int& out) {
    const toml::node* node = m_table.get(key);
    if (!node) return;
    auto v = node->value<std::int64_t>();
    if (!v || *v < 0) return wrong(key, "a non-negative integer");
    out = static_cast<Int>(*v);
  }
  void seconds(const char* key, std::chrono::seconds& out) {
    std::int64_t s = out.count();
    integer(key, s);
    out = std::chrono::seconds(s);
  }
  void string_map(const char* key, std::map<std::string, std::string>& out) {
    const toml::node* node = m_table.get(key);
    if (!node) return;
    const toml::table* t = node->as_table();
    if (!t) return wrong(key, "a table of strings");
    std::map<std::string, std::string> values;
    for (const auto& [k, v] : *t) {
      auto s = v.value<std::string>();
      if (!s) return wrong(key, "a table of strings");
      values[std::string(k.str())] = *s;
    }
    out = std::move(values);
  }
  // Unknown keys are errors: a misspelt key would otherwise be ignored without a word.
  void only(std::initializer_list<std::string_view> keys) {
    for (const auto& [k, v] : m_table) {
      bool known = false;
      for (auto key : keys)
        known = known || k.str() == key;
      if (!known && !m_error) {
        m_error = core::Error(ErrorCode::parse,
                              fmt::format("{}: unknown key [{}] {} (known: {})", m_source,
                                          m_section, k.str(), fmt::join(keys, ", ")));
      }
    }
  }
  const std::optional<core::Error>& error() const { return m_error; }

 private:
  void wrong(const char* key, const char* expected) {
    if (!m_error) {
      m_error = core::Error(ErrorCode::parse, fmt::format("{}: [{}] {} must be {}", m_source,
                                                          m_section, key, expected));
    }
  }

  const toml::table& m_table;
  std::string m_section;
  std::string_view m_source;
  std::optional<core::Error> m_error;
};

}  // namespace

core::Result<TemplateConfig> parse_template_toml(std::string_view text, std::string_view source) {
  // This build of toml++ reports syntax errors as exceptions; they stop here.
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& err) {
    return core::fail(ErrorCode::parse, fmt::format("{}:{}:{}: {}", source, err.source().begin.line,
                                                    err.source().begin.column, err.description()));
  }
  TemplateConfig c;
  const std::set<std::string_view> sections = {"run",       "plot", "lint", "agent",
                                               "resources", "data", "smoke"};
  for (const auto& [k, v] : root) {
    if (!sections.count(k.str()) || !v.is_table()) {
      return core::fail(ErrorCode::parse,
                        fmt::format("{}: unknown or malformed section [{}] (known: run, plot, "
                                    "lint, agent, resources, data, smoke)",
                                    source, k.str()));
    }
  }
  auto section = [&](const char* name, auto&& read) -> core::Result<void> {
    const toml::table* t = root[name].as_table();
    if (!t) return {};
    TableReader r(*t, name, source);
    read(r);
    if (r.error()) return core::fail(*r.error());
    return {};
  };
  TRY_VOID(section("run", [&](TableReader& r) {
    r.only({"command", "timeout", "interpreter"});
    r.strings("command", c.run_command);
    r.seconds("timeout", c.run_timeout);
    r.string("interpreter", c.interpreter);
  }));
  TRY_VOID(section("plot", [&](TableReader& r) {
    r.only({"command", "timeout"});
    r.strings("command", c.plot_command);
    r.seconds("timeout", c.plot_timeout);
  }));
  TRY_VOID(section("lint", [&](TableReader& r) {
    r.only({"command"});
    r.strings("command", c.lint_command);
  }));
  TRY_VOID(section("agent", [&](TableReader& r) {
    r.only({"editable"});
    r.strings("editable", c.editable);
  }));
  TRY_VOID(section("resources", [&](TableReader& r) {
    r.only({"gpus", "memory_mb", "processes"});
    r.integer("gpus", c.gpus);
    r.integer("memory_mb", c.memory_mb);
    r.integer("processes", c.processes);
  }));
  TRY_VOID(section("data", [&](TableReader& r) {
    r.only({"read_only"});
    r.strings("read_only", c.read_only);
  }));
  TRY_VOID(section("smoke", [&](TableReader& r) {
    r.only({"env", "args"});
    r.string_map("env", c.smoke_env);
    r.strings("args", c.smoke_args);
  }));
  if (c.run_command.empty()) {
    return core::fail(ErrorCode::parse, fmt::format("{}: [run] command must not be empty", source));
  }
  for (const auto& dir : c.read_only) {
    if (dir.empty() || dir.front() == '/' || dir.find("..") != std::string::npos) {
      return core::fail(ErrorCode::parse,
                        fmt::format("{}: [data] read_only entry '{}' must be a folder inside the "
                                    "template",
                                    source, dir));
    }
  }
  return c;
}

std::vector<std::string> check_template(const std::filesystem::path& dir) {
  std::vector<std::string> problems;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    problems.push_back(fmt::format("{}: not a folder", dir.string()));
    return problems;
  }
  TemplateConfig config;
  if (auto toml_text = slurp(dir / "template.toml")) {
    auto parsed = parse_template_toml(*toml_text, "template.toml");
    if (!parsed) {
      problems.push_back(parsed.error().message);
    } else {
      config = *parsed;
    }
  }
  // The files the run and plot commands name must exist (e.g. experiment.py, plot.py).
  for (const auto* command : {&config.run_command, &config.plot_command}) {
    for (const auto& arg : *command) {
      std::filesystem::path p(arg);
      if (arg.find('{') == std::string::npos && p.is_relative() && p.has_extension() &&
          !std::filesystem::exists(dir / p, ec)) {
        problems.push_back(fmt::format("{}: missing (named by the {} command)", arg,
                                       command == &config.run_command ? "run" : "plot"));
      }
    }
  }
  auto prompt = slurp(dir / "prompt.json");
  if (!prompt) {
    problems.push_back("prompt.json: missing (needs \"system\" and \"task_description\")");
  } else {
    auto j = nlohmann::json::parse(*prompt, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      problems.push_back("prompt.json: not a JSON object");
    } else {
      for (const char* key : {"system", "task_description"}) {
        if (!j.contains(key) || !j[key].is_string()) {
          problems.push_back(fmt::format("prompt.json: missing \"{}\" (a string)", key));
        }
      }
    }
  }
  auto seeds = slurp(dir / "seed_ideas.json");
  if (!seeds) {
    problems.push_back("seed_ideas.json: missing (a list of example ideas)");
  } else {
    auto j = nlohmann::json::parse(*seeds, nullptr, false);
    if (j.is_discarded() || !j.is_array()) {
      problems.push_back("seed_ideas.json: not a JSON list");
    } else {
      for (std::size_t i = 0; i < j.size(); ++i) {
        for (const char* key : {"Name", "Title", "Experiment"}) {
          if (!j[i].is_object() || !j[i].contains(key) || !j[i][key].is_string()) {
            problems.push_back(fmt::format("seed_ideas.json: idea {} lacks \"{}\"", i + 1, key));
          }
        }
      }
    }
  }
  if (!std::filesystem::exists(dir / "latex" / "template.tex", ec)) {
    problems.push_back("latex/template.tex: missing (the paper skeleton)");
  }
  for (const auto& ro : config.read_only) {
    if (!std::filesystem::is_directory(dir / ro, ec)) {
      problems.push_back(fmt::format("{}: missing (named by [data] read_only)", ro));
    }
  }
  return problems;
}

core::Result<Template> load_template(const std::filesystem::path& dir) {
  auto problems = check_template(dir);
  if (!problems.empty()) {
    return core::fail(ErrorCode::config, fmt::format("{} is not a usable template:\n  {}",
                                                     dir.string(), fmt::join(problems, "\n  ")));
  }
  Template t;
  std::error_code ec;
  t.dir = std::filesystem::absolute(dir, ec).lexically_normal();
  t.name = t.dir.filename().string();
  if (t.name.empty()) t.name = t.dir.parent_path().filename().string();
  if (auto toml_text = slurp(dir / "template.toml")) {
    t.config = TRY(parse_template_toml(*toml_text, "template.toml"));
    t.has_toml = true;
  }
  t.prompt = nlohmann::json::parse(*slurp(dir / "prompt.json"));
  t.seed_ideas = nlohmann::json::parse(*slurp(dir / "seed_ideas.json"));
  return t;
}

namespace {

// Python's json.dump writes NaN, Infinity and -Infinity for diverged metrics, which strict JSON
// (and nlohmann) rejects. Outside strings they become null, so such a run still reports.
std::string python_json_to_json(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    std::string_view rest = text.substr(i);
    if (rest.starts_with("NaN")) {
      out += "null";
      i += 2;
    } else if (rest.starts_with("-Infinity")) {
      out += "null";
      i += 8;
    } else if (rest.starts_with("Infinity")) {
      out += "null";
      i += 7;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

core::Result<nlohmann::json> read_means(const std::filesystem::path& run_dir) {
  const auto path = run_dir / "final_info.json";
  // Results are a few numbers; a file far larger is a bug in the experiment, not something to
  // load whole and send to the model.
  constexpr std::uintmax_t k_max_bytes = 16u << 20;
  std::error_code size_ec;
  if (auto size = std::filesystem::file_size(path, size_ec); !size_ec && size > k_max_bytes) {
    return core::fail(ErrorCode::parse,
                      fmt::format("{} is {} MiB; results must be a small JSON object of condition "
                                  "-> {{\"means\": {{...}}}} (at most 16 MiB)",
                                  path.string(), size >> 20));
  }
  auto text = slurp(path);
  if (!text) {
    return core::fail(ErrorCode::io,
                      fmt::format("{} was not written: the experiment must write its results "
                                  "there (an object of condition -> {{\"means\": {{...}}}})",
                                  path.string()));
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(python_json_to_json(*text));
  } catch (const nlohmann::json::parse_error& e) {
    return core::fail(ErrorCode::parse,
                      fmt::format("{} is not valid JSON ({})", path.string(), e.what()));
  }
  if (!j.is_object() || j.empty()) {
    return core::fail(ErrorCode::parse,
                      fmt::format("{} is not a non-empty JSON object of condition -> "
                                  "{{\"means\": {{...}}}}",
                                  path.string()));
  }
  nlohmann::json means = nlohmann::json::object();
  for (const auto& [condition, value] : j.items()) {
    if (!value.is_object() || !value.contains("means")) {
      return core::fail(ErrorCode::parse, fmt::format("{}: condition \"{}\" has no \"means\"",
                                                      path.string(), condition));
    }
    const auto& m = value["means"];
    bool numbers = m.is_number() || m.is_null();
    if (m.is_object()) {
      numbers = std::all_of(m.begin(), m.end(),
                            [](const nlohmann::json& v) { return v.is_number() || v.is_null(); });
    }
    if (!numbers) {
      return core::fail(
          ErrorCode::parse,
          fmt::format("{}: \"{}\".means must be a number or an object of metric -> number",
                      path.string(), condition));
    }
    means[condition] = m;
  }
  return means;
}

std::vector<std::string> expand_command(const std::vector<std::string>& argv,
                                        const std::string& python, const std::string& out_dir) {
  std::vector<std::string> out;
  for (std::string a : argv) {
    for (const auto& [key, value] :
         {std::pair<std::string, std::string>{"{python}", python}, {"{out_dir}", out_dir}}) {
      for (auto pos = a.find(key); pos != std::string::npos;
           pos = a.find(key, pos + value.size())) {
        a.replace(pos, key.size(), value);
      }
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace experiment
