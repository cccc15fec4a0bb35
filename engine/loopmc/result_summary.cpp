#include "loopmc/result_summary.hpp"

#include "loopmc/h5.hpp"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace loopmc {

namespace {

using h5::Dims;

std::string read_text_attribute(const h5::File& file, const std::string& object,
                                const std::string& name) {
  return h5::read_string_attribute(file, object, name).value_or("");
}

double read_number(const h5::File& file, const std::string& object, const std::string& name) {
  const auto value = h5::read_number_attribute(file, object, name);
  if (!value) {
    throw std::runtime_error(fmt::format("{}: attribute '{}' of '{}' is missing", file.path(),
                                         name, object));
  }
  return *value;
}

void read_job(const h5::File& file, ResultSummary& summary) {
  summary.name = read_text_attribute(file, "/job", "name");
  summary.source = read_text_attribute(file, "/job", "source");
  const Dims v_shape = h5::dataset_shape(file, "/inputs/V");
  const Dims w_shape = h5::dataset_shape(file, "/inputs/W");
  summary.users = v_shape.at(0);
  summary.user_dim = v_shape.at(1);
  summary.products = w_shape.at(0);
  summary.product_dim = w_shape.at(1);
  summary.a = read_number(file, "/inputs", "a");
  summary.schedule = read_text_attribute(file, "/inputs", "schedule");
  summary.gamma = read_number(file, "/inputs", "gamma");
  summary.t0 = read_number(file, "/inputs", "t0");
  summary.rho = read_number(file, "/inputs", "rho");
}

// Indices of the replicas whose records are all on disk.
std::vector<std::size_t> finished_replicas(const h5::File& file) {
  const auto finished = h5::read_dataset<std::uint8_t>(file, "/replicas/finished");
  std::vector<std::size_t> indices;
  for (std::size_t r = 0; r < finished.size(); ++r) {
    if (finished[r] == 1) indices.push_back(r);
  }
  return indices;
}

// The [R, T] dataset `name` at checkpoint `last`, for the replicas in `rows`.
std::vector<double> last_values(const h5::File& file, const std::string& name, std::size_t replicas,
                                std::size_t last, const std::vector<std::size_t>& rows) {
  const auto column = h5::read_block<double>(file, "/replicas/" + name, {0, last}, {replicas, 1});
  std::vector<double> values;
  values.reserve(rows.size());
  for (std::size_t r : rows) values.push_back(column[r]);
  return values;
}

std::vector<Spread> count_spreads(const h5::File& file, const ResultSummary& summary,
                                  const std::vector<std::size_t>& rows) {
  const std::size_t K = summary.products;
  const auto counts = h5::read_block<std::int32_t>(file, "/replicas/preference_counts",
                                                   {0, summary.checkpoints - 1, 0},
                                                   {summary.replicas, 1, K});
  std::vector<Spread> spreads;
  for (std::size_t k = 0; k < K; ++k) {
    std::vector<double> values;
    for (std::size_t r : rows) values.push_back(counts[r * K + k]);
    spreads.push_back(spread_of(values));
  }
  return spreads;
}

void read_replica_statistics(const h5::File& file, ResultSummary& summary) {
  const std::vector<std::size_t> rows = finished_replicas(file);
  if (rows.empty()) {
    throw std::runtime_error(fmt::format(
        "{}: no replica has finished (/replicas/finished is 0 everywhere), so there is nothing "
        "to summarise",
        file.path()));
  }
  summary.finished_replicas = rows.size();
  const std::size_t last = summary.checkpoints - 1;
  const std::size_t R = summary.replicas;

  summary.preference_counts = count_spreads(file, summary, rows);
  const std::vector<double> dispersion = last_values(file, "dispersion", R, last, rows);
  summary.dispersion = spread_of(dispersion);
  summary.consensus_replicas = static_cast<std::size_t>(
      std::count_if(dispersion.begin(), dispersion.end(),
                    [&](double value) { return value < summary.consensus_tolerance; }));
  summary.residual = spread_of(last_values(file, "residual", R, last, rows));
  summary.loss = spread_of(last_values(file, "loss", R, last, rows));
}

// Largest distance of a user state from the population mean; `states` is [N, q].
double dispersion_of(const std::vector<double>& states, std::size_t product_dim) {
  const std::size_t users = states.size() / product_dim;
  std::vector<double> mean(product_dim, 0.0);
  for (std::size_t i = 0; i < states.size(); ++i) {
    mean[i % product_dim] += states[i] / static_cast<double>(users);
  }
  double largest = 0;
  for (std::size_t n = 0; n < users; ++n) {
    double squares = 0;
    for (std::size_t j = 0; j < product_dim; ++j) {
      const double difference = states[n * product_dim + j] - mean[j];
      squares += difference * difference;
    }
    largest = std::max(largest, std::sqrt(squares));
  }
  return largest;
}

void read_ode_comparison(const h5::File& file, ResultSummary& summary) {
  if (!h5::exists(file, "/ode/y")) {
    summary.ode_note = "the file has no /ode group (the job ran with ode.enabled = false)";
    return;
  }
  if (h5::exists(file, "/ode/preference_counts")) {
    summary.ode_preference_counts = h5::read_block<std::int32_t>(
        file, "/ode/preference_counts", {summary.checkpoints - 1, 0}, {1, summary.products});
  }
  const auto ode_y = h5::read_block<double>(file, "/ode/y", {summary.checkpoints - 1, 0, 0},
                                            {1, summary.users, summary.product_dim});
  summary.ode_dispersion = dispersion_of(ode_y, summary.product_dim);

  OdeCheckOptions options;
  options.partial = !summary.complete;
  try {
    const OdeCheckReport report = check_against_ode(summary.path, options);
    OdeAgreement agreement;
    agreement.level = report.level;
    agreement.distance = report.distance;
    agreement.replicas = report.replicas;
    agreement.last = report.checkpoints.back();
    agreement.pass = report.pass;
    agreement.notes = report.notes;
    summary.ode_agreement = agreement;
  } catch (const OdeCheckError& error) {
    summary.ode_note = error.what();
  }
}

}  // namespace

Spread spread_of(const std::vector<double>& values) {
  Spread spread;
  if (values.empty()) return spread;
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  spread.min = *low;
  spread.max = *high;
  const double count = static_cast<double>(values.size());
  spread.mean = std::accumulate(values.begin(), values.end(), 0.0) / count;
  if (values.size() > 1) {
    double squares = 0;
    for (double value : values) squares += (value - spread.mean) * (value - spread.mean);
    spread.std_dev = std::sqrt(squares / (count - 1));
  }
  return spread;
}

ResultSummary read_result_summary(const std::string& path, double consensus_tolerance) {
  const h5::File file = h5::File::open(path, h5::File::Mode::read);
  if (read_text_attribute(file, "/", "format") != "loopmc-result-1") {
    throw std::runtime_error(fmt::format(
        "{}: not a loopmc result file (the root attribute 'format' is not 'loopmc-result-1')",
        path));
  }
  if (!h5::exists(file, "/replicas/finished")) {
    throw std::runtime_error(fmt::format(
        "{}: the file has no /replicas group, so it contains no Monte Carlo run (files written by "
        "`loopmc ode` hold the ODE only)",
        path));
  }

  ResultSummary summary;
  summary.path = path;
  summary.consensus_tolerance = consensus_tolerance;
  summary.complete = h5::read_number_attribute(file, "/", "complete").value_or(0) == 1;
  read_job(file, summary);

  const auto steps = h5::read_dataset<std::uint64_t>(file, "/checkpoints/t");
  const auto tau = h5::read_dataset<double>(file, "/checkpoints/tau");
  if (steps.empty() || tau.size() != steps.size()) {
    throw std::runtime_error(fmt::format(
        "{}: /checkpoints/t and /checkpoints/tau must have the same, non-zero length", path));
  }
  summary.checkpoints = steps.size();
  summary.steps = steps.back();
  summary.tau_end = tau.back();
  summary.replicas = h5::dataset_shape(file, "/replicas/finished").at(0);

  read_replica_statistics(file, summary);
  read_ode_comparison(file, summary);
  return summary;
}

}  // namespace loopmc
