// `loopmc equilibria`: find, deduplicate and classify the fixed points of the ODE limit.

#include "cli/commands.hpp"
#include "loopmc/equilibria.hpp"
#include "loopmc/equilibria_output.hpp"
#include "loopmc/h5.hpp"
#include "loopmc/job.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <new>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

namespace loopmc::cli {

namespace {

struct EquilibriaArguments {
  std::string job_path;
  EquilibriumSearch search;
  std::optional<std::string> out;
  std::vector<std::string> sets;
  bool force = false;
};

std::string counts_text(const Eigen::VectorXi& counts) {
  return fmt::format("{}", fmt::join(counts.data(), counts.data() + counts.size(), " "));
}

void print_states(const Equilibrium& e) {
  for (Eigen::Index n = 0; n < e.Y.cols(); ++n) {
    std::string row;
    for (Eigen::Index j = 0; j < e.Y.rows(); ++j) row += fmt::format(" {:>9.5f}", e.Y(j, n));
    fmt::print("      y_{} ={}\n", n + 1, row);
  }
}

void print_report(const EquilibriumReport& report, int users) {
  fmt::print("a = {:g}; 2/||W||_2^2 = {:.6g} (a is {} the bound)\n", report.a,
             report.consensus_bound, report.a < report.consensus_bound ? "below" : "not below");
  fmt::print("user attributes v_n on a (p-1)-dimensional affine hyperplane: {}\n",
             report.users_on_hyperplane ? "yes" : "no");
  fmt::print("{} starts ({} without convergence), settle tau = {:.6g}: {} equilibria\n\n",
             report.starts, report.failed_starts, report.settle_tau, report.equilibria.size());
  fmt::print("{:>3} {:>12} {:>13} {:>11} {:>11} {:>7}  {}\n", "#", "stability", "max Re(eig)",
             "residual r", "dispersion", "starts", "preference counts");
  for (std::size_t i = 0; i < report.equilibria.size(); ++i) {
    const Equilibrium& e = report.equilibria[i];
    fmt::print("{:>3} {:>12} {:>13.4e} {:>11.3e} {:>11.3e} {:>7}  {}\n", i + 1,
               stability_name(e.stability), e.max_real_eigenvalue, e.residual, e.dispersion,
               e.starts, counts_text(e.counts));
    if (users <= 10) print_states(e);
  }
  std::fflush(stdout);
}

int execute_equilibria(const EquilibriaArguments& args) {
  const std::optional<Job> loaded = load_job_or_log(args.job_path, args.sets);
  if (!loaded) return kInvalidInput;
  const Job& job = *loaded;
  if (args.search.starts < 1) {
    spdlog::error("--starts is {}, but at least one start is needed.", args.search.starts);
    return kInvalidInput;
  }
  if (job.model.arrival.minCoeff() <= 0) {
    spdlog::error("a user has arrival probability 0, so its state never moves and its "
                  "equilibrium state is not determined. Give every user lambda_n > 0.");
    return kInvalidInput;
  }
  const std::string path = output_path_beside(args.out, job, "-equilibria");
  if (output_exists_without_force(path, args.force)) return kInvalidInput;

  spdlog::info("equilibria of job '{}' from {}: {} starts, seed {}, output {}", job.name,
               job.source, args.search.starts, args.search.seed, path);
  const auto start = std::chrono::steady_clock::now();
  try {
    const EquilibriumReport report = find_equilibria(job.model, args.search);
    print_report(report, job.model.users);
    write_equilibria_file(job, args.search, report, path);
  } catch (const h5::H5Error& error) {
    spdlog::error("writing {} failed: {}", path, error.what());
    return kRunFailed;
  } catch (const std::bad_alloc&) {
    return report_out_of_memory("loopmc equilibria", job.model);
  }
  spdlog::info("equilibria written to {} in {:.3f} s", path,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return kSuccess;
}

}  // namespace

void add_equilibria_command(CLI::App& app, int& exit_status) {
  auto args = std::make_shared<EquilibriaArguments>();
  CLI::App* command = app.add_subcommand(
      "equilibria", "Find the equilibria of the ODE limit from many starting points, classify "
                    "each by the eigenvalues of the ODE's Jacobian, and write them to HDF5.");
  command->add_option("job", args->job_path, "Job file (TOML); without one, the built-in default job");
  command->add_option("--starts,-m", args->search.starts,
                      "Number of starting points (random y(0); the first is the job's Y0)");
  command->add_option("--seed,-s", args->search.seed, "Seed of the random starting points");
  command->add_option("--settle-tau", args->search.settle_tau,
                      "ODE time integrated before Newton's method; default 10 / (rho min lambda_n)");
  command->add_option("--out,-o", args->out,
                      "Output file, HDF5; default: output.file with -equilibria before the extension");
  command->add_option("--set", args->sets, "Override a job key, e.g. --set model.a=4; repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  command->add_flag("--force,-f", args->force, "Replace an existing output file");
  command->callback([args, &exit_status] { exit_status = execute_equilibria(*args); });
}

}  // namespace loopmc::cli
