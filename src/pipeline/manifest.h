#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace pipeline {

// What an idea's results were made with: `manifest.json` in its folder, so that a reader can tell
// which engine, models, template and sandbox produced a paper, and a resumed launch can notice a
// template that changed under it.
struct Manifest {
  std::string engine_version;  // the ai-scientist version
  std::string idea;            // the idea's Name
  std::string template_name;
  std::string template_hash;  // hash_template() of the template the idea folder was copied from
  std::string writer_model;   // model specs as given ("openai/gpt-4o")
  std::string reviewer_model;
  nlohmann::json flags = nlohmann::json::object();  // the launch's options
  std::map<std::string, std::int64_t> seeds;        // named seeds ("sampling", "experiment", ...)
  std::string started;                              // UTC timestamps; `finished` empty until then
  std::string finished;
  // The sandbox in force for the idea's runs, one line per limit or mechanism, as the sandbox
  // describes itself (e.g. "network: none (bubblewrap --unshare-net)").
  std::vector<std::string> sandbox;
  bool no_sandbox = false;  // --no-sandbox: runs were not isolated
};

inline constexpr std::string_view k_manifest_file = "manifest.json";

// The manifest as JSON:
//   {"manifest_version": 1, "engine_version", "idea", "template": {"name", "hash"},
//    "models": {"writer", "reviewer"}, "flags", "seeds": {name: integer}, "started", "finished",
//    "sandbox": {"enabled": !no_sandbox, "description": [lines]}}
nlohmann::json manifest_to_json(const Manifest& manifest);
// The inverse. Fails with parse, naming `source` and the field, when a field has the wrong type;
// missing fields keep their defaults.
core::Result<Manifest> manifest_from_json(const nlohmann::json& j, std::string_view source);

// Writes `manifest` to `file` atomically: a temporary file in the same folder, flushed to disk,
// then renamed over `file`, so a reader (or a kill) never sees half a manifest. Fails with io.
core::Result<void> write_manifest(const std::filesystem::path& file, const Manifest& manifest);
// Reads a manifest. Fails with io when the file cannot be read, parse when it is not one.
core::Result<Manifest> read_manifest(const std::filesystem::path& file);

// "sha256:<64 hex digits>" over the template in `dir`: every regular file and symbolic link
// below it, in byte order of their '/'-separated relative paths, each contributing its kind, path,
// size and contents (a link: its target, never followed). Skipped: top-level run folders
// ("run_" followed by digits: run_0's baseline and later runs are outputs, not the template) and
// every __pycache__ folder. So the hash changes with any edit, addition, removal or rename of a
// template file, and not with the folder's location, timestamps or permissions.
//
// Uses OpenSSL's libcrypto (EVP): libcurl already loads it in this program, and its EVP
// interface is the stable, audited SHA-256 most systems have. Fails with io when `dir` is not a
// folder or a file cannot be read.
core::Result<std::string> hash_template(const std::filesystem::path& dir);

}  // namespace pipeline
