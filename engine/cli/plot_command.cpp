// `loopmc plot`: draws the figures of a result file by running the Python
// package loopmc_plot (matplotlib and h5py) from the plot/ folder.

#include "cli/commands.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <vector>

extern char** environ;

namespace loopmc::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kInstallHint =
    "Install Debian's packages: apt-get install python3-matplotlib python3-h5py python3-numpy "
    "(or run scripts/setup.sh), or point LOOPMC_PYTHON at an interpreter that has them.";

struct PlotArguments {
  std::string path;
  std::string out_dir;
  std::string format = "png";
  bool partial = false;
};

struct ProcessResult {
  int status = -1;  // exit status, or -1 when the process could not start or was killed
  std::string output;
};

// Runs `argv` with environment `env`; with `capture`, collects its stdout.
ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                          bool capture) {
  std::vector<char*> arg_pointers;
  for (const auto& arg : argv) arg_pointers.push_back(const_cast<char*>(arg.c_str()));
  arg_pointers.push_back(nullptr);
  std::vector<char*> env_pointers;
  for (const auto& entry : env) env_pointers.push_back(const_cast<char*>(entry.c_str()));
  env_pointers.push_back(nullptr);

  int pipe_ends[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (capture) {
    if (pipe(pipe_ends) != 0) return {};
    posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_ends[0]);
  }
  pid_t pid = 0;
  const int spawn_error = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr,
                                      arg_pointers.data(), env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);

  ProcessResult result;
  if (capture) {
    close(pipe_ends[1]);
    char buffer[4096];
    ssize_t length = 0;
    while (spawn_error == 0 && (length = read(pipe_ends[0], buffer, sizeof buffer)) > 0) {
      result.output.append(buffer, static_cast<std::size_t>(length));
    }
    close(pipe_ends[0]);
  }
  if (spawn_error != 0) return result;
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(wait_status)) result.status = WEXITSTATUS(wait_status);
  return result;
}

// The environment of this process with PYTHONPATH led by `plot_dir`,
// matplotlib's non-interactive Agg backend selected, and no __pycache__
// written into the (possibly read-only) package folder.
std::vector<std::string> plot_environment(const fs::path& plot_dir) {
  std::vector<std::string> env;
  std::string python_path = plot_dir.string();
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    if (text.rfind("PYTHONPATH=", 0) == 0) {
      if (text.size() > 11) python_path += ":" + text.substr(11);
    } else if (text.rfind("MPLBACKEND=", 0) != 0 && text.rfind("PYTHONDONTWRITEBYTECODE=", 0) != 0) {
      env.push_back(text);
    }
  }
  env.push_back("PYTHONPATH=" + python_path);
  env.push_back("MPLBACKEND=Agg");
  env.push_back("PYTHONDONTWRITEBYTECODE=1");
  return env;
}

bool is_plot_dir(const fs::path& dir) {
  std::error_code error;
  return fs::is_regular_file(dir / "loopmc_plot" / "__main__.py", error);
}

// The folder that contains the loopmc_plot package: $LOOPMC_PLOT_DIR when set,
// else the source tree's plot/ folder, else <prefix>/share/loopmc/plot beside
// an installed program.
std::optional<fs::path> find_plot_dir() {
  if (const char* override_dir = std::getenv("LOOPMC_PLOT_DIR")) {
    if (is_plot_dir(override_dir)) return fs::path(override_dir);
    spdlog::error("LOOPMC_PLOT_DIR={} has no loopmc_plot/__main__.py", override_dir);
    return std::nullopt;
  }
  std::vector<fs::path> candidates = {LOOPMC_PLOT_SOURCE_DIR};
  std::error_code error;
  const fs::path program = fs::read_symlink("/proc/self/exe", error);
  if (!error) candidates.push_back(program.parent_path().parent_path() / "share/loopmc/plot");
  for (const auto& dir : candidates) {
    if (is_plot_dir(dir)) return dir;
  }
  spdlog::error("the loopmc_plot package was not found in {} or {}; set LOOPMC_PLOT_DIR to the "
                "folder that contains loopmc_plot/",
                candidates.front().string(), candidates.back().string());
  return std::nullopt;
}

std::optional<fs::path> find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::stringstream entries(path);
  std::string dir;
  while (std::getline(entries, dir, ':')) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// Interpreters to try, in order: $LOOPMC_PYTHON alone when set, else
// /usr/bin/python3 (Debian's, where python3-h5py installs) and python3 on PATH.
std::vector<fs::path> python_candidates() {
  if (const char* chosen = std::getenv("LOOPMC_PYTHON")) {
    if (std::strchr(chosen, '/') != nullptr) return {fs::path(chosen)};
    if (auto on_path = find_on_path(chosen)) return {*on_path};
    return {fs::path(chosen)};
  }
  std::vector<fs::path> candidates;
  if (access("/usr/bin/python3", X_OK) == 0) candidates.emplace_back("/usr/bin/python3");
  if (auto on_path = find_on_path("python3")) candidates.push_back(*on_path);
  return candidates;
}

// The first candidate interpreter that imports numpy, matplotlib and h5py.
std::optional<fs::path> find_python(const std::vector<std::string>& env) {
  const std::string probe =
      "import importlib.util\n"
      "missing = [m for m in ('numpy', 'matplotlib', 'h5py') if importlib.util.find_spec(m) is None]\n"
      "print(' '.join(missing))\n"
      "raise SystemExit(1 if missing else 0)\n";
  std::vector<std::string> reports;
  for (const auto& python : python_candidates()) {
    const ProcessResult result = run_process({python.string(), "-c", probe}, env, true);
    if (result.status == 0) return python;
    std::string output = result.output;
    while (!output.empty() && output.back() == '\n') output.pop_back();
    reports.push_back(result.status == 1 ? fmt::format("{} lacks {}", python.string(), output)
                                         : fmt::format("{} does not run", python.string()));
  }
  if (reports.empty()) reports.emplace_back("no python3 found (/usr/bin/python3 or on PATH)");
  spdlog::error("no Python with the plotting modules: {}. {}", fmt::join(reports, "; "),
                kInstallHint);
  return std::nullopt;
}

int execute_plot(const PlotArguments& args) {
  if (!fs::exists(args.path)) {
    spdlog::error("result file not found: {}", args.path);
    return kInvalidInput;
  }
  const auto plot_dir = find_plot_dir();
  if (!plot_dir) return kRunFailed;
  const std::vector<std::string> env = plot_environment(*plot_dir);
  const auto python = find_python(env);
  if (!python) return kRunFailed;

  std::vector<std::string> argv = {python->string(), "-m", "loopmc_plot", args.path,
                                   "--format", args.format};
  if (!args.out_dir.empty()) argv.insert(argv.end(), {"--out", args.out_dir});
  if (args.partial) argv.emplace_back("--partial");
  spdlog::debug("running {} with PYTHONPATH led by {}", fmt::join(argv, " "), plot_dir->string());
  const ProcessResult result = run_process(argv, env, false);
  if (result.status == 0) return kSuccess;
  if (result.status == kInvalidInput) return kInvalidInput;
  spdlog::error("plotting {} failed (exit status {})", args.path, result.status);
  return kRunFailed;
}

}  // namespace

void add_plot_command(CLI::App& app, int& exit_status) {
  auto args = std::make_shared<PlotArguments>();
  CLI::App* plot = app.add_subcommand(
      "plot", "Draw the figures of a result file (user states, simplex plot, preference counts, "
              "Monte Carlo-ODE distance) with Python's matplotlib; prints the files written.");
  plot->add_option("result", args->path, "Result file (HDF5) written by `loopmc run`")
      ->required();
  plot->add_option("--out,-o", args->out_dir,
                   "Folder for the figures (created if missing); default: the result file's folder");
  plot->add_option("--format", args->format, "Image format")
      ->capture_default_str()
      ->check(CLI::IsMember({"png", "pdf", "svg"}));
  plot->add_flag("--partial", args->partial,
                 "Accept an incomplete file and plot its finished replicas");
  plot->callback([args, &exit_status] { exit_status = execute_plot(*args); });
}

}  // namespace loopmc::cli
