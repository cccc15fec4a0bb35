// `loopmc run`: simulate a job's replicas and write the result file.

#include "cli/commands.hpp"
#include "loopmc/h5.hpp"
#include "loopmc/job.hpp"
#include "loopmc/replica.hpp"
#include "loopmc/runner.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <memory>
#include <optional>

namespace loopmc::cli {

namespace {

std::atomic<bool> g_stop_requested{false};
std::atomic<int> g_stop_signal{0};

extern "C" void request_stop(int signal_number) {
  g_stop_signal = signal_number;
  g_stop_requested = true;
}

struct RunArguments {
  std::string job_path;
  std::optional<std::uint64_t> replicas;
  std::optional<int> threads;
  std::optional<std::uint64_t> seed;
  std::optional<std::string> out;
  std::vector<std::string> sets;
  bool force = false;
};

std::vector<std::string> collect_overrides(const RunArguments& args) {
  std::vector<std::string> overrides = args.sets;
  if (args.replicas) overrides.push_back("run.replicas=" + std::to_string(*args.replicas));
  if (args.threads) overrides.push_back("run.threads=" + std::to_string(*args.threads));
  if (args.seed) overrides.push_back("run.seed=" + std::to_string(*args.seed));
  if (args.out) overrides.push_back("output.file=" + toml_quote(*args.out));
  return overrides;
}

int execute_run(const RunArguments& args) {
  Job job;
  try {
    job = load_job(args.job_path, collect_overrides(args));
  } catch (const JobError& error) {
    spdlog::error("{}", error.what());
    return kInvalidInput;
  }

  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  RunOptions options;
  options.overwrite = args.force;
  options.stop_request = &g_stop_requested;

  try {
    const RunSummary summary = run_job(job, options);
    if (summary.stopped) {
      const int signal_number = g_stop_signal.load();
      spdlog::error("stopped by signal {}; finished replicas are kept in {}", signal_number,
                    job.output.file);
      return 128 + (signal_number > 0 ? signal_number : SIGINT);
    }
  } catch (const RunError& error) {
    spdlog::error("{}", error.what());
    return kInvalidInput;
  } catch (const NumericalFault& error) {
    spdlog::error("numerical fault: {}", error.what());
    return kRunFailed;
  } catch (const h5::H5Error& error) {
    spdlog::error("writing the result file failed: {}", error.what());
    return kRunFailed;
  } catch (const std::exception& error) {
    spdlog::error("run failed: {}", error.what());
    return kRunFailed;
  }
  return kSuccess;
}

}  // namespace

std::string toml_quote(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

void add_run_command(CLI::App& app, int& exit_status) {
  auto args = std::make_shared<RunArguments>();
  CLI::App* run = app.add_subcommand(
      "run", "Simulate the replicas of a job and write them to an HDF5 result file.");
  run->add_option("job", args->job_path,
                  "Job file (TOML). Without one, runs the built-in default: the paper's base "
                  "setting (Figure 3a), sized to finish within seconds.");
  run->add_option("--replicas,-r", args->replicas, "Number of independent replicas (run.replicas)");
  run->add_option("--threads,-t", args->threads,
                  "OpenMP threads; 0 uses all cores (run.threads)");
  run->add_option("--seed,-s", args->seed, "Seed of the random streams (run.seed)");
  run->add_option("--out,-o", args->out, "Result file, HDF5 (output.file)");
  run->add_option("--set", args->sets,
                  "Override a job key, e.g. --set model.a=4 or --set schedule.kind=constant; "
                  "repeat for several keys")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  run->add_flag("--force,-f", args->force, "Replace an existing result file");
  run->callback([args, &exit_status] { exit_status = execute_run(*args); });
}

}  // namespace loopmc::cli
