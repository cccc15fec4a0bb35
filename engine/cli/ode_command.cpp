// `loopmc ode`: integrate the ODE limit of a job and write it to an HDF5 file.

#include "cli/commands.hpp"
#include "loopmc/h5.hpp"
#include "loopmc/job.hpp"
#include "loopmc/ode_output.hpp"

#include <spdlog/spdlog.h>

#include <new>

#include <chrono>
#include <memory>
#include <optional>

namespace loopmc::cli {

namespace {

struct OdeArguments {
  std::string job_path;
  std::optional<double> tau_end;
  std::optional<std::string> out;
  std::vector<std::string> sets;
  bool force = false;
};

int execute_ode(const OdeArguments& args) {
  const std::optional<Job> loaded = load_job_or_log(args.job_path, args.sets);
  if (!loaded) return kInvalidInput;
  const Job& job = *loaded;
  if (args.tau_end && !(*args.tau_end > 0)) {
    spdlog::error("--tau-end is {}, but the ODE horizon must be > 0.", *args.tau_end);
    return kInvalidInput;
  }

  const std::string path = output_path_beside(args.out, job, "-ode");
  if (output_exists_without_force(path, args.force)) return kInvalidInput;

  const double tau_end = ode_horizon(job, args.tau_end);
  const Model& m = job.model;
  spdlog::info("ODE of job '{}' from {}: N={} K={} p={} q={} a={} rho={}; tau_end = {:.6g}, "
               "rel_tol = {:g}, abs_tol = {:g}, {} grid points, output {}", job.name, job.source,
               m.users, m.products, m.user_dim, m.product_dim, m.a, m.schedule.rho, tau_end,
               job.ode.rel_tol, job.ode.abs_tol, job.ode.grid_points, path);
  const auto start = std::chrono::steady_clock::now();
  try {
    write_ode_file(job, tau_end, path);
  } catch (const OdeError& error) {
    spdlog::error("ODE integration failed: {}", error.what());
    return kRunFailed;
  } catch (const h5::H5Error& error) {
    spdlog::error("writing the ODE file failed: {}", error.what());
    return kRunFailed;
  } catch (const std::bad_alloc&) {
    return report_out_of_memory("loopmc ode", job.model);
  }
  spdlog::info("ODE written to {} in {:.3f} s", path,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return kSuccess;
}

}  // namespace

void add_ode_command(CLI::App& app, int& exit_status) {
  auto args = std::make_shared<OdeArguments>();
  CLI::App* ode = app.add_subcommand(
      "ode", "Integrate the ODE limit of a job (adaptive Dormand-Prince) and write y, theta and "
             "preference counts on a dense tau grid and at the checkpoints to HDF5.");
  ode->add_option("job", args->job_path, "Job file (TOML); without one, the built-in default job");
  ode->add_option("--tau-end", args->tau_end,
                  "ODE time to integrate to; default: horizon.tau, else the ODE time of "
                  "horizon.steps under the job's schedule");
  ode->add_option("--out,-o", args->out,
                  "Output file, HDF5; default: output.file with -ode before the extension");
  ode->add_option("--set", args->sets, "Override a job key, e.g. --set model.a=4; repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  ode->add_flag("--force,-f", args->force, "Replace an existing output file");
  ode->callback([args, &exit_status] { exit_status = execute_ode(*args); });
}

}  // namespace loopmc::cli
