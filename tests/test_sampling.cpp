// Chi-squared tests of the arrival (alias) sampler and the softmax sampler.
//
// Each test draws with a fixed seed, so it is deterministic. The critical
// value is the chi-squared quantile at significance 1e-4: a correct sampler
// fails with probability 1e-4 per seed. A real bias of a few percent in one
// category fails with near certainty at these sample sizes.

#include "loopmc/alias_table.hpp"
#include "loopmc/job.hpp"
#include "loopmc/model.hpp"
#include "loopmc/replica.hpp"
#include "loopmc/rng.hpp"

#include <doctest/doctest.h>

#include <boost/math/distributions/chi_squared.hpp>

#include <algorithm>
#include <map>
#include <vector>

namespace {

constexpr double kSignificance = 1e-4;

double chi_squared_critical(int degrees_of_freedom) {
  const boost::math::chi_squared law(degrees_of_freedom);
  return boost::math::quantile(boost::math::complement(law, kSignificance));
}

// Pearson's statistic over categories with positive expected counts; observed
// counts in zero-probability categories make it infinite.
double chi_squared_statistic(const std::vector<double>& observed,
                             const std::vector<double>& probabilities, double draws) {
  double statistic = 0;
  for (std::size_t k = 0; k < observed.size(); ++k) {
    const double expected = probabilities[k] * draws;
    if (expected == 0) {
      if (observed[k] > 0) return std::numeric_limits<double>::infinity();
      continue;
    }
    statistic += (observed[k] - expected) * (observed[k] - expected) / expected;
  }
  return statistic;
}

}  // namespace

TEST_CASE("alias sampler passes chi-squared") {
  const std::vector<double> weights = {0.5, 3.0, 0.0, 1.0, 7.5, 0.25, 2.0, 0.75};
  double total = 0;
  for (double w : weights) total += w;
  std::vector<double> probabilities;
  for (double w : weights) probabilities.push_back(w / total);

  const loopmc::AliasTable table(weights);
  const loopmc::RandomStream stream(2024, 0, loopmc::Stream::step);
  const int draws = 1'000'000;
  std::vector<double> observed(weights.size(), 0.0);
  for (int i = 0; i < draws; ++i) {
    observed[table.sample(loopmc::to_uniform(stream.block(static_cast<std::uint64_t>(i))[0]))] += 1;
  }

  CHECK(observed[2] == 0);  // a zero weight is never drawn
  const double statistic = chi_squared_statistic(observed, probabilities, draws);
  CHECK(statistic < chi_squared_critical(static_cast<int>(weights.size()) - 2));
}

TEST_CASE("alias sampler handles a single weight") {
  const std::vector<double> weights = {4.0};
  const loopmc::AliasTable table(weights);
  CHECK(table.sample(0.0) == 0);
  CHECK(table.sample(0.999999) == 0);
}

TEST_CASE("softmax sampler passes chi-squared") {
  // One user (p = 1), three products in R^2, no noise: the first step's
  // product is uniform (theta_0 = 0) and fixes theta_1, so the second step's
  // product follows softmax(a W^T Theta_1 v) given the first product.
  const std::string job_text = R"(
    [model]
    a = 4.0
    zeta = 0.05
    sigma = 0.0
    [users]
    attributes = [[1.0]]
    initial_states = [[2.0, 2.0]]
    [products]
    angles_deg = [0, 60, 120]
    [schedule]
    kind = "harmonic"
    t0 = 1.0
    [horizon]
    steps = 2
  )";
  const loopmc::Job job = loopmc::parse_job(job_text, "softmax test", {});
  const loopmc::SharedInputs shared(job);
  loopmc::Replica replica(shared, false);

  const int replicas = 300'000;
  std::map<int, std::vector<double>> observed;      // first product -> counts of second
  std::map<int, std::vector<double>> probabilities;  // first product -> softmax law
  for (int r = 0; r < replicas; ++r) {
    replica.reset(static_cast<std::uint64_t>(r));
    replica.step(0);
    const int first = replica.last_product();
    if (!probabilities.count(first)) {
      const Eigen::VectorXd& theta = replica.learner().theta();
      const auto Theta = loopmc::theta_matrix(theta, 2, 1);
      const Eigen::VectorXd y = Theta * job.model.V.col(0);
      const Eigen::VectorXd law = loopmc::preference_probabilities(job.model.W, job.model.a, y);
      probabilities[first] = std::vector<double>(law.data(), law.data() + law.size());
      observed[first] = std::vector<double>(3, 0.0);
    }
    replica.step(1);
    observed[first][static_cast<std::size_t>(replica.last_product())] += 1;
  }

  REQUIRE(observed.size() == 3);  // every first product occurred
  for (const auto& [first, counts] : observed) {
    double draws = 0;
    for (double c : counts) draws += c;
    CAPTURE(first);
    // The first draw is uniform over the three products.
    CHECK(draws == doctest::Approx(replicas / 3.0).epsilon(0.02));
    // The law is far from uniform, so the test exercises a real softmax.
    const auto [low, high] = std::minmax_element(probabilities[first].begin(), probabilities[first].end());
    CHECK(*high - *low > 0.1);
    CHECK(chi_squared_statistic(counts, probabilities[first], draws) < chi_squared_critical(2));
  }
}
