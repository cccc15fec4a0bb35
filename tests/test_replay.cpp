// Replays the first steps of a small system through a dense reference
// implementation written here, independent of the engine's Cholesky learner:
// S and B as dense sums, theta by a fresh solve, Y by the update rule.

#include "loopmc/job.hpp"
#include "loopmc/model.hpp"
#include "loopmc/replica.hpp"

#include <doctest/doctest.h>

#include <Eigen/Dense>

namespace {

// The engine's S and B come from Givens rotations, the reference's from dense
// sums: both are exact to rounding, and 40 steps at d = 6 stay within 1e-11.
constexpr double kReplayTolerance = 1e-11;

const char* kJob = R"(
  [model]
  a = 2.0
  zeta = 0.05
  sigma = 0.0
  rho = 1.0
  [users]
  attributes = [[1, 2, 3], [2, 3, 1], [3, 1, 2]]
  initial_states = [[2, 0], [0, 2], [2, 2]]
  arrival = [0.2, 0.3, 0.5]
  [products]
  angles_deg = [1, 45, 89]
  [schedule]
  kind = "harmonic"
  t0 = 2.0
  [horizon]
  steps = 40
)";

double relative_difference(const Eigen::MatrixXd& actual, const Eigen::MatrixXd& expected) {
  return (actual - expected).norm() / std::max(expected.norm(), 1e-300);
}

}  // namespace

TEST_CASE("replay of first steps matches dense reference") {
  const loopmc::Job job = loopmc::parse_job(kJob, "replay test", {});
  const loopmc::Model& m = job.model;
  const loopmc::SharedInputs shared(job);
  loopmc::Replica replica(shared, false);
  replica.reset(3);

  const int d = m.dim();
  Eigen::MatrixXd S = m.schedule.t0 * m.zeta * Eigen::MatrixXd::Identity(d, d);
  Eigen::VectorXd B = Eigen::VectorXd::Zero(d);
  Eigen::MatrixXd Y = m.Y0;

  for (std::uint64_t t = 0; t < 40; ++t) {
    replica.step(t);
    const int n = replica.last_arrival();
    const int k = replica.last_product();
    CAPTURE(t);
    REQUIRE(n >= 0);
    REQUIRE(k >= 0);

    // Reward without noise: w_k^T Y_n before the user moves.
    const double reward = m.W.col(k).dot(Y.col(n));
    CHECK(replica.last_reward() == doctest::Approx(reward).epsilon(1e-15));

    // Context v_n (x) w_k, entry i q + j = v_n[i] w_k[j].
    Eigen::VectorXd context(d);
    for (int i = 0; i < m.user_dim; ++i) {
      for (int j = 0; j < m.product_dim; ++j) context[i * m.product_dim + j] = m.V(i, n) * m.W(j, k);
    }
    S += context * context.transpose();
    B += reward * context;
    const double beta = 1.0 / (static_cast<double>(t) + m.schedule.t0);
    Y.col(n) += beta * (m.W.col(k) - Y.col(n));

    const loopmc::Learner& learner = replica.learner();
    const Eigen::MatrixXd L = learner.factor().triangularView<Eigen::Lower>();
    CHECK(relative_difference(learner.scale() * L * L.transpose(), S) < kReplayTolerance);
    CHECK(relative_difference(learner.scale() * learner.rhs(), B) < kReplayTolerance);
    CHECK(relative_difference(learner.theta(), S.ldlt().solve(B)) < kReplayTolerance);
    CHECK(relative_difference(replica.user_states(), Y) < 1e-15);
  }
}

TEST_CASE("first harmonic step moves user onto product") {
  // With t0 = 1 the first user step is beta_0 = 1: the arriving user jumps to w_k.
  const loopmc::Job job = loopmc::parse_job(kJob, "replay test", {"schedule.t0=1.0"});
  const loopmc::SharedInputs shared(job);
  loopmc::Replica replica(shared, false);
  replica.reset(0);
  replica.step(0);
  const int n = replica.last_arrival();
  const int k = replica.last_product();
  CHECK(replica.user_states()(0, n) == doctest::Approx(job.model.W(0, k)).epsilon(1e-15));
  CHECK(replica.user_states()(1, n) == doctest::Approx(job.model.W(1, k)).epsilon(1e-15));
  for (int other = 0; other < job.model.users; ++other) {
    if (other == n) continue;
    CHECK(replica.user_states().col(other) == job.model.Y0.col(other));
  }
}
