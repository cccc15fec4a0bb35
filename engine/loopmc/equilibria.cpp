#include "loopmc/equilibria.hpp"

#include <Eigen/Eigenvalues>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

namespace loopmc {

namespace {

// The fixed-point equation in theta and the objects it needs.
class FixedPointMap {
 public:
  explicit FixedPointMap(const OdeSystem& system) : system_(system) {}

  // F(theta) = s(theta)^-1 b(theta, W P(theta)) - theta. Throws OdeError when
  // s(theta) is not positive definite.
  Eigen::VectorXd residual(const Eigen::VectorXd& theta) const {
    system_.targets(theta, system_.model().Y0, targets_);
    const Eigen::MatrixXd recommended = targets_.recommended;
    system_.targets(theta, recommended, targets_);
    const Eigen::LLT<Eigen::MatrixXd> factor(targets_.s);
    if (factor.info() != Eigen::Success) throw OdeError("s(theta) is not positive definite");
    return factor.solve(targets_.b) - theta;
  }

  Eigen::MatrixXd jacobian(const Eigen::VectorXd& theta) const {
    const auto d = theta.size();
    Eigen::MatrixXd J(d, d);
    Eigen::VectorXd shifted = theta;
    for (Eigen::Index i = 0; i < d; ++i) {
      const double h = 1e-6 * std::max(1.0, std::abs(theta[i]));
      shifted[i] = theta[i] + h;
      const Eigen::VectorXd forward = residual(shifted);
      shifted[i] = theta[i] - h;
      J.col(i) = (forward - residual(shifted)) / (2 * h);
      shifted[i] = theta[i];
    }
    return J;
  }

 private:
  const OdeSystem& system_;
  mutable OdeTargets targets_;
};

double scaled_norm(const Eigen::VectorXd& F, const Eigen::VectorXd& theta) {
  return F.lpNorm<Eigen::Infinity>() / std::max(1.0, theta.lpNorm<Eigen::Infinity>());
}

// Damped Newton from `theta`; nullopt when it does not reach the tolerance.
std::optional<Eigen::VectorXd> newton(const FixedPointMap& map, Eigen::VectorXd theta,
                                      double tolerance) {
  Eigen::VectorXd F = map.residual(theta);
  for (int iteration = 0; iteration < 100; ++iteration) {
    if (scaled_norm(F, theta) <= tolerance) return theta;
    const Eigen::VectorXd step = map.jacobian(theta).colPivHouseholderQr().solve(-F);
    // Backtrack until the residual norm decreases.
    double length = 1.0;
    while (true) {
      const Eigen::VectorXd trial = theta + length * step;
      const Eigen::VectorXd trial_F = map.residual(trial);
      if (trial_F.norm() < (1 - 1e-4 * length) * F.norm() || length < 1e-6) {
        theta = trial;
        F = trial_F;
        break;
      }
      length /= 2;
    }
  }
  return scaled_norm(F, theta) <= tolerance ? std::optional(theta) : std::nullopt;
}

// Random states y_n = W pi_n with pi_n uniform on the simplex, inside conv(W).
Eigen::MatrixXd random_states(const Model& model, std::mt19937_64& rng) {
  std::exponential_distribution<double> exponential(1.0);
  Eigen::MatrixXd weights(model.products, model.users);
  for (Eigen::Index i = 0; i < weights.size(); ++i) weights.data()[i] = exponential(rng);
  weights.array().rowwise() /= weights.colwise().sum().array();
  return model.W * weights;
}

Eigen::VectorXd settle(const OdeSystem& system, const Eigen::MatrixXd& Y0, double tau,
                       const OdeIntegration& integration) {
  Eigen::VectorXd theta;
  integrate_ode(system, system.initial_state(Y0), {tau}, integration,
                [&](std::size_t, double, const std::vector<double>& x) { theta = system.theta(x.data()); });
  return theta;
}

void describe(const OdeSystem& system, const EquilibriumSearch& search, Equilibrium& point) {
  const Model& m = system.model();
  const std::vector<double> x = fixed_point_state(system, point.theta);
  point.Y = system.y(x.data());
  point.counts = Eigen::VectorXi::Zero(m.products);
  for (int n = 0; n < m.users; ++n) ++point.counts[preferred_product(m.W, point.Y.col(n))];
  const PopulationStatistics stats = population_statistics(m, point.Y, point.theta, point.counts);
  point.residual = stats.residual;
  point.dispersion = stats.dispersion;

  if (x.size() > search.max_jacobian_size) return;
  const Eigen::EigenSolver<Eigen::MatrixXd> solver(ode_jacobian(system, x), false);
  point.eigenvalues = solver.eigenvalues();
  point.max_real_eigenvalue = point.eigenvalues.real().maxCoeff();
  if (point.max_real_eigenvalue < -search.stability_tol) {
    point.stability = Stability::stable;
  } else if (point.max_real_eigenvalue > search.stability_tol) {
    point.stability = Stability::unstable;
  } else {
    point.stability = Stability::marginal;
  }
}

bool same_point(const Eigen::MatrixXd& Y, const Eigen::MatrixXd& other, double tolerance) {
  const double scale = std::max(1.0, Y.lpNorm<Eigen::Infinity>());
  return (Y - other).lpNorm<Eigen::Infinity>() <= tolerance * scale;
}

}  // namespace

const char* stability_name(Stability stability) {
  switch (stability) {
    case Stability::stable: return "stable";
    case Stability::unstable: return "unstable";
    case Stability::marginal: return "marginal";
    case Stability::unclassified: return "unclassified";
  }
  return "unclassified";
}

double consensus_bound(const Eigen::MatrixXd& W) {
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(W);
  const double norm = svd.singularValues()[0];
  return 2.0 / (norm * norm);
}

bool lie_on_affine_hyperplane(const Eigen::MatrixXd& V) {
  const Eigen::MatrixXd centred = V.colwise() - V.rowwise().mean();
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(centred);
  const auto& values = svd.singularValues();
  if (values.size() < V.rows()) return true;
  return values[values.size() - 1] <= 1e-9 * std::max(values[0], 1e-300);
}

std::vector<double> fixed_point_state(const OdeSystem& system, const Eigen::VectorXd& theta) {
  OdeTargets targets;
  system.targets(theta, system.model().Y0, targets);
  const Eigen::MatrixXd recommended = targets.recommended;
  system.targets(theta, recommended, targets);
  std::vector<double> x = system.initial_state(recommended);
  const int d = system.dim();
  std::copy(targets.b.data(), targets.b.data() + d, x.begin());
  std::copy(targets.s.data(), targets.s.data() + d * d, x.begin() + d);
  return x;
}

Eigen::MatrixXd ode_jacobian(const OdeSystem& system, const std::vector<double>& x) {
  const auto size = static_cast<Eigen::Index>(x.size());
  Eigen::MatrixXd J(size, size);
  std::vector<double> shifted = x;
  std::vector<double> forward(x.size());
  std::vector<double> backward(x.size());
  for (Eigen::Index i = 0; i < size; ++i) {
    const auto index = static_cast<std::size_t>(i);
    const double h = 1e-6 * std::max(1.0, std::abs(x[index]));
    shifted[index] = x[index] + h;
    system.derivative(shifted.data(), forward.data());
    shifted[index] = x[index] - h;
    system.derivative(shifted.data(), backward.data());
    shifted[index] = x[index];
    J.col(i) = (Eigen::Map<const Eigen::VectorXd>(forward.data(), size) -
                Eigen::Map<const Eigen::VectorXd>(backward.data(), size)) / (2 * h);
  }
  return J;
}

EquilibriumReport find_equilibria(const Model& model, const EquilibriumSearch& search) {
  const OdeSystem system(model);
  const FixedPointMap map(system);
  EquilibriumReport report;
  report.starts = search.starts;
  report.a = model.a;
  report.consensus_bound = consensus_bound(model.W);
  report.users_on_hyperplane = lie_on_affine_hyperplane(model.V);
  report.settle_tau = search.settle_tau > 0
                          ? search.settle_tau
                          : 10.0 / (model.schedule.rho * model.arrival.minCoeff());

  std::mt19937_64 rng(search.seed);
  for (int start = 0; start < search.starts; ++start) {
    const Eigen::MatrixXd Y0 = start == 0 ? model.Y0 : random_states(model, rng);
    const double tau = start % 2 == 0 ? report.settle_tau : 0.1 * report.settle_tau;
    std::optional<Eigen::VectorXd> theta;
    try {
      theta = newton(map, settle(system, Y0, tau, search.integration), search.newton_tol);
    } catch (const OdeError& error) {
      spdlog::debug("equilibrium start {} failed: {}", start, error.what());
    }
    if (!theta) {
      ++report.failed_starts;
      continue;
    }
    const Eigen::MatrixXd Y = system.y(fixed_point_state(system, *theta).data());
    auto known = std::find_if(report.equilibria.begin(), report.equilibria.end(),
                              [&](const Equilibrium& e) { return same_point(e.Y, Y, search.duplicate_tol); });
    if (known != report.equilibria.end()) {
      ++known->starts;
      continue;
    }
    Equilibrium point;
    point.theta = *theta;
    point.Y = Y;
    point.starts = 1;
    point.fixed_point_error = scaled_norm(map.residual(*theta), *theta);
    report.equilibria.push_back(point);
  }

  for (Equilibrium& point : report.equilibria) describe(system, search, point);
  std::stable_sort(report.equilibria.begin(), report.equilibria.end(),
                   [](const Equilibrium& x, const Equilibrium& y) { return x.starts > y.starts; });
  return report;
}

}  // namespace loopmc
