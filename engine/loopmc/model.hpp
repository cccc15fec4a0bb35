#pragma once
// The model's inputs and the quantities derived from a population state.
// Nothing here depends on threads, files or random numbers.

#include <Eigen/Dense>

#include <cstdint>
#include <limits>

namespace loopmc {

enum class ScheduleKind { harmonic, constant };

// Step sizes of the learner (gamma_t) and of the users (beta_t = rho * gamma_t),
// and the ODE time tau_t = sum_{s<t} gamma_s that they define.
struct Schedule {
  ScheduleKind kind = ScheduleKind::harmonic;
  double t0 = 1.0;       // harmonic offset: gamma_t = 1 / (t + t0), t0 >= 1
  double gamma = 0.01;   // constant step, in (0, 1)
  double rho = 1.0;      // adaptation ratio of the users to the learner

  double learner_step(std::uint64_t t) const {
    return kind == ScheduleKind::harmonic ? 1.0 / (static_cast<double>(t) + t0) : gamma;
  }
  double user_step(std::uint64_t t) const { return rho * learner_step(t); }

  // ODE time reached after t steps.
  double tau(std::uint64_t t) const;

  // Smallest t with tau(t) >= tau_target, or nullopt-like max() when that
  // count exceeds max_steps.
  std::uint64_t steps_to_reach(double tau_target, std::uint64_t max_steps) const;
};

struct Model {
  int users = 0;     // N
  int products = 0;  // K
  int user_dim = 0;  // p
  int product_dim = 0;  // q

  Eigen::MatrixXd V;       // p x N, column n is the user attribute v_n
  Eigen::MatrixXd W;       // q x K, column k is the product attribute w_k
  Eigen::VectorXd arrival; // lambda, N entries summing to 1
  Eigen::MatrixXd Y0;      // q x N, column n is the initial state of user n

  double a = 1.0;      // softmax inverse temperature
  double zeta = 1e-3;  // ridge regularisation
  double sigma = 0.0;  // reward noise standard deviation

  Schedule schedule;

  int dim() const { return user_dim * product_dim; }  // d = p q
};

// Preferred product of a user state y: argmax_k w_k^T y, lowest index on ties.
int preferred_product(const Eigen::MatrixXd& W, const Eigen::Ref<const Eigen::VectorXd>& y);

// Softmax of a * W^T y, computed stably.
Eigen::VectorXd preference_probabilities(const Eigen::MatrixXd& W, double a,
                                         const Eigen::Ref<const Eigen::VectorXd>& y);

// The q x p matrix Theta with Theta(j, i) = theta[i q + j], so that
// C_{n,k}^T theta = w_k^T Theta v_n.
inline Eigen::Map<const Eigen::MatrixXd> theta_matrix(const Eigen::VectorXd& theta, int q, int p) {
  return {theta.data(), q, p};
}

// Statistics of a population state at one checkpoint.
struct PopulationStatistics {
  double dispersion = 0;  // max_n |Y_n - mean_m Y_m|
  double residual = 0;    // sqrt(mean_n |Y_n - Theta v_n|^2)
  double drift = 0;       // mean_n |Y_n - Y_n(0)|
  double gini = 0;        // Gini coefficient of the preference counts
  double entropy = 0;     // Shannon entropy (nats) of the preference counts / N
};

PopulationStatistics population_statistics(const Model& model, const Eigen::MatrixXd& Y,
                                            const Eigen::VectorXd& theta,
                                            const Eigen::Ref<const Eigen::VectorXi>& counts);

// Gini coefficient of non-negative counts: 0 when all equal, (K-1)/K when one
// product is preferred by every user.
double gini_coefficient(const Eigen::Ref<const Eigen::VectorXi>& counts);

// Entropy in nats of counts / sum(counts).
double count_entropy(const Eigen::Ref<const Eigen::VectorXi>& counts);

}  // namespace loopmc
