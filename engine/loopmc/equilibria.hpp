#pragma once
// Equilibria of the ODE limit: the fixed points (b, s, y) with y_n = W P_n,
// s = sum_n lambda_n (v_n v_n^T) (x) M_n, b = sum_n lambda_n v_n (x) (M_n y_n),
// P_n = softmax(a W^T Theta v_n) and theta = s^-1 b.
//
// Every fixed point is determined by theta alone, because y_n = W P_n(theta).
// The search therefore solves the d-dimensional equation
//   F(theta) = s(theta)^-1 b(theta, W P(theta)) - theta = 0
// by damped Newton (Jacobian by central differences), started from theta at
// the end of short ODE runs from random y(0). Each solution is classified by
// the eigenvalues of the Jacobian of the full ODE right-hand side, computed by
// central differences in all d + d^2 + N q coordinates.

#include "loopmc/model.hpp"
#include "loopmc/ode.hpp"

#include <Eigen/Dense>

#include <cstdint>
#include <string>
#include <vector>

namespace loopmc {

struct EquilibriumSearch {
  int starts = 32;            // ODE runs from random y(0); start 0 uses the model's Y0
  std::uint64_t seed = 1;     // seed of the random y(0)
  // ODE time before Newton takes over; 0 means 10 / (rho min_n lambda_n).
  // Odd starts run a tenth of it, so that Newton also lands on unstable points.
  double settle_tau = 0;
  double newton_tol = 1e-10;      // max |F(theta)| relative to max(1, max |theta|)
  double stability_tol = 1e-6;    // eigenvalue real parts within +-tol count as 0
  double duplicate_tol = 1e-6;    // max |y - y'| relative to max(1, max |y|) for one point
  std::size_t max_jacobian_size = 3000;  // larger ODE states are not classified
  OdeIntegration integration{1e-7, 1e-9, 50'000'000};
};

enum class Stability { stable, unstable, marginal, unclassified };
const char* stability_name(Stability stability);

struct Equilibrium {
  Eigen::VectorXd theta;         // d
  Eigen::MatrixXd Y;             // q x N, column n is y_n = W P_n
  Eigen::VectorXi counts;        // preference counts of Y, K entries
  Eigen::VectorXcd eigenvalues;  // of the full ODE Jacobian; empty when unclassified
  double max_real_eigenvalue = 0;
  Stability stability = Stability::unclassified;
  double residual = 0;           // sqrt(mean_n |y_n - Theta v_n|^2), the tracking residual
  double dispersion = 0;         // max_n |y_n - mean_m y_m|
  double fixed_point_error = 0;  // max |F(theta)| at the returned theta
  int starts = 0;                // starts whose Newton iteration ended here
};

struct EquilibriumReport {
  std::vector<Equilibrium> equilibria;  // most frequently reached first
  int starts = 0;
  int failed_starts = 0;   // Newton did not converge, or s was not positive definite
  double a = 0;
  double consensus_bound = 0;  // 2 / ||W||_2^2
  bool users_on_hyperplane = false;  // the v_n lie on a (p-1)-dimensional affine hyperplane
  double settle_tau = 0;
};

EquilibriumReport find_equilibria(const Model& model, const EquilibriumSearch& search);

// 2 / ||W||_2^2, below which a (with N = p) leaves each user a single equilibrium state.
double consensus_bound(const Eigen::MatrixXd& W);

// True when the columns of V lie on one affine hyperplane of dimension p - 1:
// the centred columns have rank below p (smallest singular value below 1e-9
// of the largest).
bool lie_on_affine_hyperplane(const Eigen::MatrixXd& V);

// Jacobian of the ODE right-hand side at the packed state x, by central differences.
Eigen::MatrixXd ode_jacobian(const OdeSystem& system, const std::vector<double>& x);

// The packed ODE state (b, s, y) of the fixed point with parameter theta.
std::vector<double> fixed_point_state(const OdeSystem& system, const Eigen::VectorXd& theta);

}  // namespace loopmc
