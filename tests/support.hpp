#pragma once
// Helpers shared by the tests: running the loopmc program, temporary
// directories, and comparing the datasets of two result files byte for byte.

#include "loopmc/h5.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace loopmc::testing {

// A fresh directory under the system's temporary directory, removed on destruction.
class TemporaryDirectory {
 public:
  explicit TemporaryDirectory(const std::string& label);
  ~TemporaryDirectory();
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  std::filesystem::path path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_status = -1;
  std::string output;  // stdout and stderr together
};

// Model tables of a small generated job (N = 30, K = 5, p = 3, q = 2, constant
// steps) for tests that run it end to end; they add name, horizon, checkpoints,
// run and output settings around it.
extern const char* const kSmallGeneratedModel;

// Runs the loopmc program with `arguments` (appended after the binary, shell-quoted
// by the caller where needed) and returns its exit status and output.
CommandResult run_loopmc(const std::string& arguments);

// Paths of every dataset in a file, sorted, e.g. "/replicas/theta".
std::vector<std::string> dataset_paths(const std::string& file);

// Raw bytes of a dataset in its stored type.
std::vector<unsigned char> dataset_bytes(const std::string& file, const std::string& path);

// Datasets whose bytes differ between two files, or that only one holds.
// Paths starting with one of `ignored_prefixes` are skipped.
std::vector<std::string> differing_datasets(const std::string& left, const std::string& right,
                                            const std::vector<std::string>& ignored_prefixes);

// Reads the root attribute `complete` (0 or 1; -1 when missing).
int complete_mark(const std::string& file);

}  // namespace loopmc::testing
