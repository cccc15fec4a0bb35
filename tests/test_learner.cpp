// The Cholesky-factor learner against dense reference computations.

#include "loopmc/learner.hpp"

#include <doctest/doctest.h>

#include <Eigen/Dense>

#include <cmath>
#include <random>

using loopmc::Learner;
using loopmc::Schedule;
using loopmc::ScheduleKind;

namespace {

// After 10^4 updates at d <= 12 the carried factor and theta agree with a fresh
// dense solve to about 1e-13 here; 1e-9 leaves room for other compilers and
// instruction sets while still catching any wrong rotation (errors of order 1).
constexpr double kFreshSolveTolerance = 1e-9;

double relative_difference(const Eigen::MatrixXd& actual, const Eigen::MatrixXd& expected) {
  return (actual - expected).norm() / std::max(expected.norm(), 1e-300);
}

Schedule harmonic(double t0) {
  Schedule schedule;
  schedule.kind = ScheduleKind::harmonic;
  schedule.t0 = t0;
  return schedule;
}

Schedule constant(double gamma) {
  Schedule schedule;
  schedule.kind = ScheduleKind::constant;
  schedule.gamma = gamma;
  return schedule;
}

// Dense reference of the learner's statistics, S and B, in long double.
struct DenseLearner {
  Eigen::Matrix<long double, Eigen::Dynamic, Eigen::Dynamic> S;
  Eigen::Matrix<long double, Eigen::Dynamic, 1> B;
  long double reward_squares = 0;
  long double total_weight = 0;
  long double prior = 0;
};

}  // namespace

TEST_CASE("learner theta equals ridge closed form") {
  const int d = 12;
  const double zeta = 0.01;
  const double t0 = 5.0;
  std::mt19937_64 generator(7);
  std::normal_distribution<double> normal;

  Learner learner(d);
  learner.reset(harmonic(t0), zeta);
  Eigen::MatrixXd S = t0 * zeta * Eigen::MatrixXd::Identity(d, d);
  Eigen::VectorXd B = Eigen::VectorXd::Zero(d);

  Eigen::VectorXd context(d);
  for (int step = 0; step < 10000; ++step) {
    for (int i = 0; i < d; ++i) context[i] = normal(generator);
    const double reward = normal(generator) + context[0];
    S += context * context.transpose();
    B += reward * context;
    Eigen::VectorXd workspace = context;
    learner.update(workspace.data(), reward);
  }

  const Eigen::VectorXd expected = S.llt().solve(B);
  CHECK(relative_difference(learner.theta(), expected) < kFreshSolveTolerance);
  CHECK(learner.scale() == 1.0);
  CHECK(learner.steps() == 10000);
}

TEST_CASE("learner factor equals fresh factorisation") {
  const int d = 9;
  const double zeta = 0.001;
  std::mt19937_64 generator(11);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);

  Learner learner(d);
  learner.reset(harmonic(1.0), zeta);
  Eigen::MatrixXd S = zeta * Eigen::MatrixXd::Identity(d, d);
  Eigen::VectorXd B = Eigen::VectorXd::Zero(d);

  Eigen::VectorXd context(d);
  for (int step = 0; step < 20000; ++step) {
    for (int i = 0; i < d; ++i) context[i] = uniform(generator);
    const double reward = uniform(generator);
    S += context * context.transpose();
    B += reward * context;
    Eigen::VectorXd workspace = context;
    learner.update(workspace.data(), reward);
  }

  const Eigen::MatrixXd fresh = S.llt().matrixL();
  const Eigen::MatrixXd carried = learner.factor().triangularView<Eigen::Lower>();
  CHECK(relative_difference(carried, fresh) < kFreshSolveTolerance);
  CHECK(relative_difference(learner.rhs(), B) < kFreshSolveTolerance);

  // The factor has a positive diagonal, as a Cholesky factor must.
  CHECK(learner.factor().diagonal().minCoeff() > 0);
}

TEST_CASE("learner constant schedule matches exponential recursion") {
  const int d = 6;
  const double zeta = 0.5;
  const double gamma = 0.01;
  std::mt19937_64 generator(3);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);

  Learner learner(d);
  learner.reset(constant(gamma), zeta);
  Eigen::MatrixXd S = zeta * Eigen::MatrixXd::Identity(d, d);
  Eigen::VectorXd B = Eigen::VectorXd::Zero(d);

  Eigen::VectorXd context(d);
  for (int step = 0; step < 3000; ++step) {
    for (int i = 0; i < d; ++i) context[i] = uniform(generator);
    const double reward = 2.0 * context[1] + uniform(generator);
    S = (1 - gamma) * S + gamma * context * context.transpose();
    B = (1 - gamma) * B + gamma * reward * context;
    Eigen::VectorXd workspace = context;
    learner.update(workspace.data(), reward);
  }

  // S = kappa L L^T and B = kappa L z: compare both with the dense recursion.
  const Eigen::MatrixXd L = learner.factor().triangularView<Eigen::Lower>();
  const Eigen::MatrixXd carried_S = learner.scale() * L * L.transpose();
  CHECK(relative_difference(carried_S, S) < kFreshSolveTolerance);
  CHECK(relative_difference(learner.scale() * learner.rhs(), B) < kFreshSolveTolerance);
  CHECK(relative_difference(learner.theta(), S.llt().solve(B)) < kFreshSolveTolerance);
}

TEST_CASE("learner loss equals direct weighted mean") {
  const int d = 4;
  const double zeta = 0.1;
  std::mt19937_64 generator(5);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);

  for (const Schedule& schedule : {harmonic(3.0), constant(0.05)}) {
    Learner learner(d);
    learner.reset(schedule, zeta);
    std::vector<Eigen::VectorXd> contexts;
    std::vector<double> rewards;
    for (int step = 0; step < 200; ++step) {
      Eigen::VectorXd context(d);
      for (int i = 0; i < d; ++i) context[i] = uniform(generator);
      const double reward = context.sum() + 0.3 * uniform(generator);
      contexts.push_back(context);
      rewards.push_back(reward);
      Eigen::VectorXd workspace = context;
      learner.update(workspace.data(), reward);
    }

    // Direct sum over the history with the learner's own weights.
    const auto t = static_cast<int>(rewards.size());
    double weighted = 0;
    double total = 0;
    for (int s = 0; s < t; ++s) {
      const double weight = schedule.kind == ScheduleKind::harmonic
                                ? 1.0
                                : schedule.gamma * std::pow(1 - schedule.gamma, t - 1 - s);
      const double error = rewards[s] - contexts[s].dot(learner.theta());
      weighted += weight * error * error;
      total += weight;
    }
    CHECK(learner.loss() == doctest::Approx(weighted / total).epsilon(1e-9));
  }
}

TEST_CASE("learner scale tracking survives 1e8 steps") {
  // Alternating contexts e_1 and e_2 with rewards 1 and 3: the weighted least
  // squares solution is theta = (1, 3) once the prior has decayed.
  const double gamma = 0.01;
  Learner learner(2);
  learner.reset(constant(gamma), 1.0);
  const std::uint64_t steps = 100'000'000;
  double context[2];
  for (std::uint64_t t = 0; t < steps; ++t) {
    const bool first = (t % 2) == 0;
    context[0] = first ? 1.0 : 0.0;
    context[1] = first ? 0.0 : 1.0;
    learner.update(context, first ? 1.0 : 3.0);
  }

  CHECK(learner.steps() == steps);
  CHECK(std::isfinite(learner.scale()));
  CHECK(learner.scale() >= 0x1.0p-200);
  CHECK(learner.scale() <= 1.0);
  CHECK(learner.factor().allFinite());
  CHECK(learner.factor().diagonal().minCoeff() > 0);
  CHECK(learner.theta()[0] == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(learner.theta()[1] == doctest::Approx(3.0).epsilon(1e-12));

  // kappa = (1 - gamma)^t is rescaled by 2^200 each time it falls below 2^-200.
  const double halvings = -static_cast<double>(steps) * std::log2(1 - gamma);
  CHECK(learner.rescalings() == static_cast<int>(std::floor(halvings / 200.0)));
}
