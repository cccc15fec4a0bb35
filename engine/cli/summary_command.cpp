// `loopmc summary`: the end state of a run as a table for a terminal, or as JSON.

#include "cli/commands.hpp"
#include "loopmc/h5.hpp"
#include "loopmc/result_summary.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <numeric>

namespace loopmc::cli {

namespace {

struct SummaryArguments {
  std::string path;
  bool json = false;
  bool partial = false;
  double consensus_tolerance = kDefaultConsensusTolerance;
};

using Json = nlohmann::ordered_json;

Json spread_json(const Spread& spread) {
  return {{"mean", spread.mean}, {"std_dev", spread.std_dev}, {"min", spread.min},
          {"max", spread.max}};
}

// Infinite standard errors (a zero-variance entry off the ODE) print as "inf".
Json standard_errors_json(double value) {
  return std::isfinite(value) ? Json(value) : Json("inf");
}

Json quantity_json(const QuantityAgreement& quantity) {
  return {{"max_error", quantity.max_error},
          {"max_standard_errors", standard_errors_json(quantity.max_standard_errors)},
          {"share_within", quantity.share_within ? Json(*quantity.share_within) : Json(nullptr)}};
}

Json ode_json(const OdeAgreement& ode) {
  return {{"tau", ode.last.tau},
          {"replicas", ode.replicas},
          {"level", ode.level},
          {"distance", ode.distance},
          {"y", ode.last.y ? quantity_json(*ode.last.y) : Json(nullptr)},
          {"theta", quantity_json(ode.last.theta)},
          {"pass_last", ode.last.pass},
          {"pass_all", ode.pass},
          {"notes", ode.notes}};
}

Json summary_json(const ResultSummary& s) {
  Json json;
  json["file"] = s.path;
  json["complete"] = s.complete;
  json["job"] = {{"name", s.name},   {"source", s.source},     {"N", s.users},
                 {"K", s.products},  {"p", s.user_dim},        {"q", s.product_dim},
                 {"a", s.a},         {"schedule", s.schedule}, {"gamma", s.gamma},
                 {"t0", s.t0},       {"rho", s.rho}};
  json["run"] = {{"replicas", s.replicas},       {"finished_replicas", s.finished_replicas},
                 {"checkpoints", s.checkpoints}, {"steps", s.steps},
                 {"tau", s.tau_end}};
  Json counts = Json::array();
  for (const Spread& spread : s.preference_counts) counts.push_back(spread_json(spread));
  json["preference_counts"] = counts;
  json["dispersion"] = spread_json(s.dispersion);
  json["consensus"] = {{"tolerance", s.consensus_tolerance}, {"replicas", s.consensus_replicas}};
  json["residual"] = spread_json(s.residual);
  json["loss"] = spread_json(s.loss);
  json["ode_preference_counts"] =
      s.ode_preference_counts ? Json(*s.ode_preference_counts) : Json(nullptr);
  json["ode_dispersion"] = s.ode_dispersion ? Json(*s.ode_dispersion) : Json(nullptr);
  json["ode_agreement"] = s.ode_agreement ? ode_json(*s.ode_agreement) : Json(nullptr);
  json["ode_note"] = s.ode_note;
  return json;
}

std::string spread_text(const Spread& spread) {
  return fmt::format("{:>10.4g} ± {:<9.3g} [{:.4g}, {:.4g}]", spread.mean, spread.std_dev,
                     spread.min, spread.max);
}

std::string schedule_text(const ResultSummary& s) {
  if (s.schedule == "harmonic") return fmt::format("harmonic schedule t0={:g}", s.t0);
  return fmt::format("{} schedule gamma={:g}", s.schedule, s.gamma);
}

std::string quantity_text(const QuantityAgreement& quantity, double distance) {
  std::string text = fmt::format("max |mean - ode| = {:.4g}, {:.3g} standard errors",
                                 quantity.max_error, quantity.max_standard_errors);
  if (quantity.share_within) {
    text += fmt::format(", {:.0f}% of replicas within {:g}", 100 * *quantity.share_within,
                        distance);
  }
  return text;
}

void print_ode_lines(const ResultSummary& s) {
  if (s.ode_preference_counts) {
    fmt::print("  {:<20}{}\n", "ODE y(tau) counts", fmt::join(*s.ode_preference_counts, " "));
  }
  if (s.ode_dispersion) {
    fmt::print("  {:<20}{:.4g}{}\n", "ODE dispersion", *s.ode_dispersion,
               *s.ode_dispersion < s.consensus_tolerance ? " (consensus)" : "");
  }
  if (!s.ode_agreement) {
    fmt::print("  {:<20}not available: {}\n", "ODE agreement", s.ode_note);
    return;
  }
  const OdeAgreement& ode = *s.ode_agreement;
  fmt::print("ODE agreement at tau={:g}, standard errors sqrt(var/R) over {} replicas\n",
             ode.last.tau, ode.replicas);
  if (ode.last.y) fmt::print("  {:<20}{}\n", "user states Y", quantity_text(*ode.last.y, ode.distance));
  fmt::print("  {:<20}{}\n", "theta", quantity_text(ode.last.theta, ode.distance));
  fmt::print("  {:<20}{} at the last checkpoint, {} over all checkpoints (level {:g} standard "
             "errors)\n",
             "verdict", ode.last.pass ? "pass" : "FAIL", ode.pass ? "pass" : "FAIL", ode.level);
  for (const std::string& note : ode.notes) fmt::print("  note: {}\n", note);
}

// Prints every product's count for up to kMaxProductRows products, else the
// kMaxProductRows products with the largest mean count (all of them are in --json).
void print_preference_counts(const std::vector<Spread>& counts) {
  constexpr std::size_t kMaxProductRows = 20;
  std::vector<std::size_t> shown(counts.size());
  std::iota(shown.begin(), shown.end(), 0);
  if (counts.size() > kMaxProductRows) {
    std::partial_sort(shown.begin(), shown.begin() + kMaxProductRows, shown.end(),
                      [&](std::size_t a, std::size_t b) { return counts[a].mean > counts[b].mean; });
    shown.resize(kMaxProductRows);
    std::sort(shown.begin(), shown.end());
    fmt::print("  preference counts of the {} products with the largest mean ({} in all, "
               "every one in --json)\n", kMaxProductRows, counts.size());
  } else {
    fmt::print("  preference counts (users whose preferred product is k)\n");
  }
  for (std::size_t k : shown) {
    fmt::print("    {:<18}{}\n", fmt::format("product {}", k + 1), spread_text(counts[k]));
  }
}

void print_table(const ResultSummary& s) {
  fmt::print("{} ({})\n", s.name, s.source);
  fmt::print("  {:<20}N={} K={} p={} q={} a={:g}, {}, rho={:g}\n", "job", s.users, s.products,
             s.user_dim, s.product_dim, s.a, schedule_text(s), s.rho);
  fmt::print("  {:<20}{} of {} replicas finished{}, {} steps to tau={:g}, {} checkpoints\n", "run",
             s.finished_replicas, s.replicas, s.complete ? "" : " (INCOMPLETE FILE)", s.steps,
             s.tau_end, s.checkpoints);
  fmt::print("At the last checkpoint, over {} replicas: mean ± standard deviation [min, max]\n",
             s.finished_replicas);
  print_preference_counts(s.preference_counts);
  fmt::print("  {:<20}{}\n", "dispersion", spread_text(s.dispersion));
  fmt::print("  {:<20}{} of {} replicas ({:.0f}%) have dispersion < {:g}\n", "consensus",
             s.consensus_replicas, s.finished_replicas,
             100.0 * static_cast<double>(s.consensus_replicas) /
                 static_cast<double>(s.finished_replicas),
             s.consensus_tolerance);
  fmt::print("  {:<20}{}\n", "tracking residual", spread_text(s.residual));
  fmt::print("  {:<20}{}\n", "learner loss", spread_text(s.loss));
  print_ode_lines(s);
}

int execute_summary(const SummaryArguments& args) {
  if (!std::filesystem::exists(args.path)) {
    spdlog::error("result file not found: {}", args.path);
    return kInvalidInput;
  }
  ResultSummary summary;
  try {
    summary = read_result_summary(args.path, args.consensus_tolerance);
  } catch (const std::exception& error) {
    spdlog::error("cannot summarise {}: {}", args.path, error.what());
    return kInvalidInput;
  }
  if (!summary.complete && !args.partial) {
    spdlog::error(
        "{} is incomplete (root attribute 'complete' is not 1): its run is still going, was "
        "stopped or died. Pass --partial to summarise its {} finished of {} replicas.",
        args.path, summary.finished_replicas, summary.replicas);
    return kInvalidInput;
  }
  if (args.json) {
    std::cout << summary_json(summary).dump(2) << '\n';
  } else {
    print_table(summary);
  }
  return kSuccess;
}

}  // namespace

void add_summary_command(CLI::App& app, int& exit_status) {
  auto args = std::make_shared<SummaryArguments>();
  CLI::App* summary = app.add_subcommand(
      "summary", "Print the end state of a run from its result file: preference counts, "
                 "dispersion and consensus, tracking residual, learner loss, ODE agreement.");
  summary->add_option("result", args->path, "Result file (HDF5) written by `loopmc run`")
      ->required();
  summary->add_flag("--json", args->json, "Print JSON on stdout instead of the table");
  summary->add_flag("--partial", args->partial,
                    "Accept an incomplete file and summarise its finished replicas");
  summary->add_option("--consensus-tolerance", args->consensus_tolerance,
                      "Dispersion below which a replica counts as at consensus")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  summary->callback([args, &exit_status] { exit_status = execute_summary(*args); });
}

}  // namespace loopmc::cli
