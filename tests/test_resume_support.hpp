#pragma once
// Helpers for the tests that kill, stop and resume the loopmc program: a child
// process with its own working directory and environment, and a reader that
// counts the finished replicas of a result file while it is being written.
// Header-only, because each tests/test_*.cpp builds into its own executable.

#include "support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace loopmc::testing {

// A loopmc process started in `directory` with `arguments`; its stdout and
// stderr go to `directory`/`log_name`. `environment` entries are NAME=VALUE.
class ChildRun {
 public:
  ChildRun(const std::string& directory, const std::vector<std::string>& arguments,
           const std::string& log_name, const std::vector<std::string>& environment = {});
  ~ChildRun();
  ChildRun(const ChildRun&) = delete;
  ChildRun& operator=(const ChildRun&) = delete;

  void send(int signal_number) const;
  // Waits for the process to end; returns the exit status, or 128 + the
  // signal number when a signal ended it.
  int wait();
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// Finished replicas in `file`, or -1 while it does not exist or cannot be read.
int finished_replicas(const std::string& file);

// Polls `file` until it shows at least `count` finished replicas; returns
// false on timeout.
bool wait_for_finished(const std::string& file, int count, std::chrono::milliseconds timeout);

inline ChildRun::ChildRun(const std::string& directory, const std::vector<std::string>& arguments,
                   const std::string& log_name, const std::vector<std::string>& environment)
    : log_path_(directory + "/" + log_name) {
  std::vector<std::string> argv_text{LOOPMC_BINARY};
  argv_text.insert(argv_text.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& text : argv_text) argv.push_back(text.data());
  argv.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Only async-signal-safe calls until exec, apart from putenv on our own strings.
    if (chdir(directory.c_str()) != 0) _exit(126);
    const int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log < 0) _exit(126);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    for (const auto& entry : environment) putenv(const_cast<char*>(entry.c_str()));
    execv(argv[0], argv.data());
    _exit(127);
  }
}

inline ChildRun::~ChildRun() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

inline void ChildRun::send(int signal_number) const {
  if (pid_ > 0) kill(pid_, signal_number);
}

inline int ChildRun::wait() {
  int status = 0;
  if (waitpid(pid_, &status, 0) != pid_) throw std::runtime_error("waitpid failed");
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline std::string ChildRun::log() const {
  std::ifstream file(log_path_);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

inline int finished_replicas(const std::string& file) {
  if (access(file.c_str(), F_OK) != 0) return -1;
  try {
    const h5::File handle = h5::File::open(file, h5::File::Mode::read);
    const auto flags = h5::read_dataset<std::uint8_t>(handle, "/replicas/finished");
    return std::accumulate(flags.begin(), flags.end(), 0);
  } catch (const h5::H5Error&) {
    return -1;
  }
}

inline bool wait_for_finished(const std::string& file, int count, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (finished_replicas(file) >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace loopmc::testing
