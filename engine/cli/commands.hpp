#pragma once
// Sub-commands of the loopmc program. Each add_* function registers one
// sub-command; its callback stores the process exit status in `exit_status`.

#include "loopmc/job.hpp"
#include "loopmc/model.hpp"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace loopmc::cli {

// Exit statuses shared by all sub-commands.
enum ExitStatus : int {
  kSuccess = 0,
  kRunFailed = 1,      // the run or the command failed (I/O, numerical fault, ...)
  kInvalidInput = 2,   // the job, an option or an input file is invalid
  kCheckFailed = 3,    // `check` found disagreement beyond the stated level
  kInterrupted = 130,  // stopped by SIGINT; SIGTERM gives 143 (128 + signal number)
};

void add_run_command(CLI::App& app, int& exit_status);
void add_ode_command(CLI::App& app, int& exit_status);
void add_check_command(CLI::App& app, int& exit_status);
void add_equilibria_command(CLI::App& app, int& exit_status);
void add_summary_command(CLI::App& app, int& exit_status);
void add_plot_command(CLI::App& app, int& exit_status);

// Loads a job with its overrides, or logs why it is invalid and returns nullopt.
std::optional<loopmc::Job> load_job_or_log(const std::string& path,
                                           const std::vector<std::string>& overrides);

// Returns `out` when given, else the job's output.file with `suffix` before ".h5"
// (e.g. "fig3a-ode.h5").
std::string output_path_beside(const std::optional<std::string>& out, const loopmc::Job& job,
                               const std::string& suffix);

// Logs an error and returns true when `path` exists and --force was not given.
bool output_exists_without_force(const std::string& path, bool force);

// Logs that an ODE-based command ran out of memory on `model`, with the sizes
// that caused it and the fix, and returns kInvalidInput.
int report_out_of_memory(const std::string& command, const loopmc::Model& model);

// Quotes `text` as a TOML basic string, for turning options into overrides.
std::string toml_quote(const std::string& text);

}  // namespace loopmc::cli
