#pragma once
// Jobs of a chosen size for the benchmarks, and the naive learner they are
// compared with.

#include "loopmc/job.hpp"

#include <Eigen/Dense>

#include <string>

namespace loopmc::bench {

// A job with d = p q and K products: p = q = sqrt(d) when d is a square, else
// q = 2 and p = d / 2. N users with generated attributes, sigma = 0.1.
inline Job sized_job(int d, int K, int users, const std::string& schedule = "constant",
                     std::uint64_t steps = 100000, int replicas = 64) {
  int q = 2;
  for (int root = 1; root * root <= d; ++root) {
    if (root * root == d) q = root;
  }
  const int p = d / q;
  const std::string text = "[model]\na = 2.0\nzeta = 0.01\nsigma = 0.1\n"
      "[users]\ncount = " + std::to_string(users) + "\ndim = " + std::to_string(p) +
      "\n[users.generate]\nunit_length = true\n[users.initial_generate]\nlow = -1.0\n"
      "[products]\ncount = " + std::to_string(K) + "\ndim = " + std::to_string(q) +
      "\n[products.generate]\nlow = -1.0\nunit_length = true\n"
      "[schedule]\nkind = \"" + schedule + "\"\n" +
      (schedule == "constant" ? "gamma = 0.001\n" : "t0 = 10.0\n") +
      "[horizon]\nsteps = " + std::to_string(steps) +
      "\n[checkpoints]\ncount = 4\n[run]\nreplicas = " + std::to_string(replicas) +
      "\nseed = 3\n[output]\nuser_states = \"none\"\n";
  return parse_job(text, "benchmark", {});
}

// The baseline the engine's learner is measured against: S and B kept dense,
// and every step a fresh Cholesky factorisation of S (O(d^3)) and two
// triangular solves for theta.
class NaiveLearner {
 public:
  explicit NaiveLearner(int d, double zeta)
      : S_(zeta * Eigen::MatrixXd::Identity(d, d)), B_(Eigen::VectorXd::Zero(d)), llt_(d), theta_(d) {}

  void update(const Eigen::VectorXd& context, double reward) {
    S_.selfadjointView<Eigen::Lower>().rankUpdate(context, 1.0);
    B_ += reward * context;
    llt_.compute(S_);
    theta_ = B_;
    llt_.matrixL().solveInPlace(theta_);
    llt_.matrixU().solveInPlace(theta_);
  }
  const Eigen::VectorXd& theta() const { return theta_; }

 private:
  Eigen::MatrixXd S_;
  Eigen::VectorXd B_;
  Eigen::LLT<Eigen::MatrixXd> llt_;
  Eigen::VectorXd theta_;
};

// Sizes swept by the per-component benchmarks.
inline constexpr int kDims[] = {6, 25, 100, 400};

}  // namespace loopmc::bench
