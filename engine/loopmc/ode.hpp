#pragma once
// The ODE limit of the stochastic process (mean-field dynamics in ODE time tau):
//
//   db/dtau   = sum_n lambda_n sum_k P_nk (w_k^T y_n) (v_n (x) w_k) - b
//   ds/dtau   = sum_n lambda_n (v_n v_n^T) (x) (W diag(P_n) W^T)    - s
//   dy_n/dtau = rho lambda_n (W P_n - y_n)
//
// with P_n = softmax(a W^T Theta v_n), theta = s^-1 b, from b(0) = 0,
// s(0) = zeta I, y(0) = Y_0. Every component has the form "target - current",
// and OdeTargets computes the targets.

#include "loopmc/model.hpp"

#include <Eigen/Dense>

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace loopmc {

// An integration that could not finish (step size underflow, too many steps,
// a value that is not finite, or s not positive definite).
class OdeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The targets of the ODE at one theta and one set of user states.
struct OdeTargets {
  Eigen::VectorXd b;            // d entries: sum_n lambda_n v_n (x) (M_n y_n)
  Eigen::MatrixXd s;            // d x d: sum_n lambda_n (v_n v_n^T) (x) M_n
  Eigen::MatrixXd recommended;  // q x N: column n is W P_n
  Eigen::MatrixXd P;            // K x N: column n is P_n
};

// The right-hand side of the ODE for one model. The packed state is
// x = [b (d), s (d x d column-major), y (q x N column-major)].
//
// s* is evaluated without forming any d x d Kronecker product: with
// G_k = sum_n lambda_n P_nk v_n v_n^T and Omega_k = w_k w_k^T,
// sum_n lambda_n (v_n v_n^T) (x) M_n = sum_k G_k (x) Omega_k, and both sums are
// matrix products. Cost per evaluation O(N K (p^2 + q) + K p^2 q^2), within
// the O(N (K q^2 + p^2 q^2)) of summing the q x q matrices M_n user by user.
//
// Not thread-safe: evaluations share a workspace.
class OdeSystem {
 public:
  explicit OdeSystem(const Model& model);

  const Model& model() const { return model_; }
  std::size_t size() const { return size_; }
  int dim() const { return d_; }

  // b = 0, s = zeta I, y = Y0 (the model's Y0 when none is given).
  std::vector<double> initial_state() const;
  std::vector<double> initial_state(const Eigen::MatrixXd& Y0) const;

  // dx/dtau at x; the signature Boost.Odeint expects.
  void operator()(const std::vector<double>& x, std::vector<double>& dxdt, double tau) const;
  void derivative(const double* x, double* dxdt) const;

  // Targets at theta with user states Y (q x N).
  void targets(const Eigen::VectorXd& theta, const Eigen::Ref<const Eigen::MatrixXd>& Y,
               OdeTargets& out) const;

  // theta = s^-1 b from the packed state. Throws OdeError when s is not
  // positive definite.
  Eigen::VectorXd theta(const double* x) const;

  Eigen::Map<const Eigen::VectorXd> b(const double* x) const { return {x, d_}; }
  Eigen::Map<const Eigen::MatrixXd> s(const double* x) const { return {x + d_, d_, d_}; }
  Eigen::Map<const Eigen::MatrixXd> y(const double* x) const {
    return {x + d_ + d_ * d_, model_.product_dim, model_.users};
  }

 private:
  void preference_probabilities(const Eigen::VectorXd& theta, Eigen::MatrixXd& P) const;
  void assemble_s(const Eigen::MatrixXd& weighted_P, Eigen::MatrixXd& s) const;

  Model model_;
  int d_ = 0;
  std::size_t size_ = 0;
  Eigen::MatrixXd user_outer_;     // p^2 x N: column n is vec(v_n v_n^T)
  Eigen::MatrixXd product_outer_;  // q^2 x K: column k is vec(w_k w_k^T)
  mutable OdeTargets workspace_;
};

// Tolerances and limits of one integration.
struct OdeIntegration {
  double rel_tol = 1e-8;
  double abs_tol = 1e-10;
  std::size_t max_steps = 50'000'000;  // accepted steps before the integration gives up
};

// Integrates from `x0` (tau = 0) with Boost.Odeint's adaptive Dormand-Prince
// 5(4) method and dense output, and calls `observe(i, times[i], x)` for each of
// the increasing, non-negative `times`. Throws OdeError.
void integrate_ode(const OdeSystem& system, std::vector<double> x0,
                   const std::vector<double>& times, const OdeIntegration& settings,
                   const std::function<void(std::size_t, double, const std::vector<double>&)>& observe);

// A short description of the method, stored beside the results.
const char* ode_method_name();

}  // namespace loopmc
