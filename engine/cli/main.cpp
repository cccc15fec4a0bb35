// loopmc: a parallel Monte Carlo engine for a learning recommender and the
// population it changes. See README.md for a first run.

#include "cli/commands.hpp"
#include "loopmc/h5.hpp"
#include "loopmc/mpi_run.hpp"
#include "loopmc/version.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  // Logs go to stderr so that stdout carries only command output (tables, JSON).
  spdlog::set_default_logger(spdlog::stderr_color_mt("loopmc"));
  spdlog::set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
  loopmc::h5::silence_library_errors();
  // MPI starts only under an MPI launcher such as mpirun. Otherwise the program
  // runs in one process and never calls MPI.
  const loopmc::MpiSession mpi(argc, argv);

  CLI::App app{"loopmc: Monte Carlo engine for a linear contextual bandit recommender and the "
               "population of users that drifts toward what it is shown."};
  app.set_version_flag("--version", std::string(loopmc::version()) + " (" +
                                        loopmc::git_revision() + ")");
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "Log level: trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.parse_complete_callback([&] { spdlog::set_level(spdlog::level::from_str(log_level)); });

  int exit_status = loopmc::cli::kSuccess;
  loopmc::cli::add_run_command(app, exit_status);
  loopmc::cli::add_ode_command(app, exit_status);
  loopmc::cli::add_check_command(app, exit_status);
  loopmc::cli::add_equilibria_command(app, exit_status);
  loopmc::cli::add_summary_command(app, exit_status);
  loopmc::cli::add_plot_command(app, exit_status);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int status = app.exit(error);
    return status == 0 ? 0 : loopmc::cli::kInvalidInput;
  }
  return exit_status;
}
