// `loopmc run`: simulate a job's replicas and write the result file.

#include "cli/commands.hpp"
#include "loopmc/h5.hpp"
#include "loopmc/job.hpp"
#include "loopmc/mpi_run.hpp"
#include "loopmc/ode_output.hpp"
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

// The first SIGINT or SIGTERM requests a stop after flushing what is
// finished; the handler then restores the default action, so a second one
// ends the process at once (the file stays resumable either way).
extern "C" void request_stop(int signal_number) {
  g_stop_signal = signal_number;
  g_stop_requested = true;
  std::signal(signal_number, SIG_DFL);
}

struct RunArguments {
  std::string job_path;
  std::optional<std::uint64_t> replicas;
  std::optional<int> threads;
  std::optional<std::int64_t> seed;  // signed, so that -1 reaches the seed rule
  std::optional<std::string> out;
  std::vector<std::string> sets;
  bool force = false;
  bool resume = false;
};

std::vector<std::string> collect_overrides(const RunArguments& args) {
  std::vector<std::string> overrides = args.sets;
  if (args.replicas) overrides.push_back("run.replicas=" + std::to_string(*args.replicas));
  if (args.threads) overrides.push_back("run.threads=" + std::to_string(*args.threads));
  if (args.seed) overrides.push_back("run.seed=" + std::to_string(*args.seed));
  if (args.out) overrides.push_back("output.file=" + toml_quote(*args.out));
  return overrides;
}

// Runs the job and maps each kind of failure to its exit status, logging it.
int run_and_report(const Job& job, const RunOptions& options, RunSummary& summary) {
  try {
    summary = run_job(job, options);
    if (summary.stopped) {
      const int signal_number = g_stop_signal.load();
      spdlog::error("stopped by signal {}; finished replicas are kept in {}", signal_number,
                    job.output.file);
      return 128 + (signal_number > 0 ? signal_number : SIGINT);
    }
    if (summary.already_complete) {
      spdlog::info("{} is already complete; nothing was run", job.output.file);
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

int execute_run(const RunArguments& args) {
  if (args.force && args.resume) {
    spdlog::error("--force and --resume contradict each other: --force starts the run over, "
                  "--resume continues it. Give one of them.");
    return kInvalidInput;
  }
  std::optional<Job> loaded = load_job_or_log(args.job_path, collect_overrides(args));
  if (!loaded) return kInvalidInput;
  Job& job = *loaded;

  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  RunOptions options;
  options.overwrite = args.force;
  options.resume = args.resume;
  options.stop_request = &g_stop_requested;
  if (job.ode.enabled) {
    options.write_extra = [&job](const h5::File& file) { write_ode_reference_or_log(file, job); };
  }

  if (mpi_ranks() > 1) return run_mpi_part(job, options, run_and_report);
  RunSummary summary;
  return run_and_report(job, options, summary);
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
  run->add_flag("--resume", args->resume,
                "Continue the run in the result file: keep its finished replicas and run the "
                "others. Needs the original job and options; starts afresh when the file does "
                "not exist, and does nothing when it is complete");
  run->callback([args, &exit_status] { exit_status = execute_run(*args); });
}

}  // namespace loopmc::cli
