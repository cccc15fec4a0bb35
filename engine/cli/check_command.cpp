// `loopmc check`: compare a run's replicas with the ODE limit, checkpoint by checkpoint.

#include "cli/commands.hpp"
#include "loopmc/h5.hpp"
#include "loopmc/ode.hpp"
#include "loopmc/ode_check.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <new>

#include <cstdio>
#include <memory>

namespace loopmc::cli {

namespace {

struct CheckArguments {
  std::string path;
  OdeCheckOptions options;
};

std::string share_text(const std::optional<double>& share) {
  return share ? fmt::format("{:>7.1f}%", 100 * *share) : fmt::format("{:>8}", "-");
}

std::string quantity_columns(const std::optional<QuantityAgreement>& quantity) {
  if (!quantity) return fmt::format("{:>11} {:>8} {:>8}", "-", "-", "-");
  return fmt::format("{:>11.3e} {:>8.2f} {}", quantity->max_error, quantity->max_standard_errors,
                     share_text(quantity->share_within));
}

void print_report(const OdeCheckReport& report) {
  fmt::print("ODE check of {} ({} replicas)\n", report.path, report.replicas);
  fmt::print("err: max |mean - ODE| over coordinates; SE: the same in standard errors of the "
             "mean; near: replicas within {} of the ODE\n\n", report.distance);
  fmt::print("{:>12} {:>10} | {:>11} {:>8} {:>8} | {:>11} {:>8} {:>8} | {}\n", "step", "tau",
             "Y err", "Y SE", "Y near", "theta err", "theta SE", "th near", "result");
  for (const CheckpointAgreement& at : report.checkpoints) {
    fmt::print("{:>12} {:>10.4g} | {} | {} | {}\n", at.step, at.tau, quantity_columns(at.y),
               quantity_columns(at.theta), at.pass ? "ok" : "FAIL");
  }
  fmt::print("{:>23} | {} | {} | {}\n", "all checkpoints", quantity_columns(report.y),
             quantity_columns(report.theta), report.pass ? "ok" : "FAIL");
  for (const std::string& note : report.notes) fmt::print("note: {}\n", note);
  if (report.pass) {
    fmt::print("\nPASS: every checkpoint's mean lies within {} standard errors of the ODE.\n",
               report.level);
  } else {
    fmt::print("\nFAIL: at least one checkpoint's mean lies more than {} standard errors from the "
               "ODE. If the replicas split between equilibria, the mean lies between basins and "
               "this is expected; see docs/ode-check.md.\n", report.level);
  }
  std::fflush(stdout);
}

int execute_check(const CheckArguments& args) {
  if (!(args.options.level > 0) || !(args.options.distance > 0)) {
    spdlog::error("--level is {} and --distance is {}; both must be > 0.", args.options.level,
                  args.options.distance);
    return kInvalidInput;
  }
  spdlog::info("checking {} against the ODE limit (level {} standard errors, distance {}{})",
               args.path, args.options.level, args.options.distance,
               args.options.partial ? ", partial files accepted" : "");
  try {
    const OdeCheckReport report = check_against_ode(args.path, args.options);
    print_report(report);
    spdlog::info("check of {} {}", args.path, report.pass ? "passed" : "failed");
    return report.pass ? kSuccess : kCheckFailed;
  } catch (const OdeCheckError& error) {
    spdlog::error("{}", error.what());
    return kInvalidInput;
  } catch (const h5::H5Error& error) {
    spdlog::error("reading {} failed: {}", args.path, error.what());
    return kInvalidInput;
  } catch (const OdeError& error) {
    spdlog::error("integrating the ODE of {} failed: {}", args.path, error.what());
    return kRunFailed;
  } catch (const std::bad_alloc&) {
    spdlog::error("check of {} ran out of memory while integrating the ODE of the stored job, "
                  "whose state grows with N q. Check a run of a smaller population, or keep "
                  "ode.enabled = true in the job so that `run` stores /ode for `check` to use.",
                  args.path);
    return kInvalidInput;
  } catch (const std::exception& error) {
    spdlog::error("check of {} failed: {}", args.path, error.what());
    return kInvalidInput;
  }
}

}  // namespace

void add_check_command(CLI::App& app, int& exit_status) {
  auto args = std::make_shared<CheckArguments>();
  CLI::App* check = app.add_subcommand(
      "check", "Compare a run's Monte Carlo mean of Y and theta with the ODE limit at every "
               "checkpoint. Exits 0 when every mean of Y lies within --level standard errors, 3 "
               "otherwise.");
  check->add_option("result", args->path, "Result file of `loopmc run` (HDF5)")->required();
  check->add_option("--level", args->options.level,
                    "Standard errors of the mean allowed between the mean and the ODE (default 4)");
  check->add_option("--distance", args->options.distance,
                    "Radius for the share of replicas near the ODE: max per-user distance for Y, "
                    "relative distance for theta (default 0.1)");
  check->add_flag("--check-theta", args->options.check_theta,
                  "Let theta's mean enter the verdict as well (off by default: its small-sample "
                  "bias is not Monte Carlo noise)");
  check->add_flag("--partial", args->options.partial,
                  "Accept a file whose run did not finish and use its finished replicas");
  check->callback([args, &exit_status] { exit_status = execute_check(*args); });
}

}  // namespace loopmc::cli
