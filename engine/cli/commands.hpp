#pragma once
// Sub-commands of the loopmc program. Each add_* function registers one
// sub-command; its callback stores the process exit status in `exit_status`.

#include "loopmc/model.hpp"

#include <CLI/CLI.hpp>

#include <string>

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

// Logs that an ODE-based command ran out of memory on `model`, with the sizes
// that caused it and the fix, and returns kInvalidInput.
int report_out_of_memory(const std::string& command, const loopmc::Model& model);

// Quotes `text` as a TOML basic string, for turning options into overrides.
std::string toml_quote(const std::string& text);

}  // namespace loopmc::cli
