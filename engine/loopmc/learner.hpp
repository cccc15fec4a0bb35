#pragma once
// The recommender's ridge learner, kept as a Cholesky factor.
//
// State: S = kappa * L L^T and B = kappa * L z, with L lower triangular and
// kappa > 0 a common scale. Then theta = S^-1 B = L^-T z, free of kappa.
// Each step adds weight * c c^T to S and weight * c R to B by one sequence of
// Givens rotations that updates L and z together, so one triangular solve
// (L^T theta = z) remains. Cost O(d^2) per step, no allocation.
//
// harmonic schedule: kappa = 1, S = t0 zeta I + sum c c^T (the ridge estimator).
// constant schedule: S <- (1 - gamma) S + gamma c c^T is written as
//   kappa <- (1 - gamma) kappa and an added weight gamma / kappa, so L is never
//   rescaled in the hot loop; when kappa falls below 2^-200 everything is
//   rescaled by exact powers of two, which changes no value's meaning.

#include "loopmc/model.hpp"

#include <Eigen/Dense>

namespace loopmc {

// The constant schedule rescales once kappa drops below 2^-200: kappa is
// multiplied by 2^200 and L, z by 2^-100, so every rescaling is exact.
inline constexpr double kRescaleBelow = 0x1.0p-200;
inline constexpr double kRescaleKappa = 0x1.0p200;
inline constexpr double kRescaleFactor = 0x1.0p-100;  // sqrt(1 / kRescaleKappa)

class Learner {
 public:
  Learner() = default;
  explicit Learner(int dim) { resize(dim); }

  void resize(int dim);

  // Sets S_0 = zeta I, B_0 = 0, as the schedule prescribes.
  void reset(const Schedule& schedule, double zeta);

  // Adds one observation (context c, reward R) with the schedule's weights and
  // re-solves theta. `context` is overwritten (used as rotation workspace).
  void update(double* context, double reward);

  const Eigen::VectorXd& theta() const { return theta_; }

  // Learner loss: weighted mean of (R_s - C_s^T theta)^2 over past steps, with
  // the learner's own weights (uniform for harmonic, exponential for constant).
  double loss() const;

  // The Cholesky factor of S / kappa and the scale kappa, for tests and checks.
  const Eigen::MatrixXd& factor() const { return factor_; }
  double scale() const { return scale_; }
  Eigen::VectorXd rhs() const;  // B / kappa = L z

  std::uint64_t steps() const { return steps_; }
  int rescalings() const { return rescalings_; }

  // Fields needed to save and restore the learner exactly.
  struct State {
    Eigen::MatrixXd factor;
    Eigen::VectorXd z;
    double scale, reward_squares, prior_weight, total_weight;
    std::uint64_t steps;
  };
  State state() const;
  void restore(const State& state);

 private:
  void rotate_in(double* x, double rhs_entry);
  void solve_theta();
  void rescale_if_small();

  int dim_ = 0;
  Schedule schedule_;
  Eigen::MatrixXd factor_;   // L, lower triangular, column-major
  Eigen::VectorXd z_;        // L^-1 B / kappa
  Eigen::VectorXd theta_;
  double scale_ = 1;          // kappa
  double reward_squares_ = 0; // weighted sum of R^2, in units of kappa
  double prior_weight_ = 0;   // weight of the ridge prior zeta I, in units of kappa
  double total_weight_ = 0;   // sum of the observation weights, in units of kappa
  std::uint64_t steps_ = 0;
  int rescalings_ = 0;
};

// Learner loss from its sufficient statistics, in units of kappa: weighted sum
// of squared rewards, prior weight, total observation weight, z = L^-1 B and theta.
double learner_loss(double reward_squares, double prior_weight, double total_weight,
                    const Eigen::VectorXd& z, const Eigen::VectorXd& theta);

}  // namespace loopmc
