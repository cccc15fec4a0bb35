#include "loopmc/ode.hpp"

#include <boost/numeric/odeint.hpp>
#include <spdlog/fmt/fmt.h>

#include <cmath>

namespace loopmc {

namespace {

// Columns vec(x x^T) (column-major) of the columns x of A.
Eigen::MatrixXd outer_products(const Eigen::MatrixXd& A) {
  const Eigen::Index dim = A.rows();
  Eigen::MatrixXd result(dim * dim, A.cols());
  for (Eigen::Index c = 0; c < A.cols(); ++c) {
    Eigen::Map<Eigen::MatrixXd> outer(result.col(c).data(), dim, dim);
    outer.noalias() = A.col(c) * A.col(c).transpose();
  }
  return result;
}

bool all_finite(const std::vector<double>& x) {
  for (double value : x) {
    if (!std::isfinite(value)) return false;
  }
  return true;
}

}  // namespace

OdeSystem::OdeSystem(const Model& model)
    : model_(model),
      d_(model.dim()),
      size_(static_cast<std::size_t>(d_ + d_ * d_) +
            static_cast<std::size_t>(model.users) * static_cast<std::size_t>(model.product_dim)),
      user_outer_(outer_products(model.V)),
      product_outer_(outer_products(model.W)) {}

std::vector<double> OdeSystem::initial_state() const { return initial_state(model_.Y0); }

std::vector<double> OdeSystem::initial_state(const Eigen::MatrixXd& Y0) const {
  std::vector<double> x(size_, 0.0);
  for (int i = 0; i < d_; ++i) x[static_cast<std::size_t>(d_ + i * d_ + i)] = model_.zeta;
  Eigen::Map<Eigen::MatrixXd>(x.data() + d_ + d_ * d_, model_.product_dim, model_.users) = Y0;
  return x;
}

Eigen::VectorXd OdeSystem::theta(const double* x) const {
  // LLT reads the lower triangle of s only.
  const Eigen::LLT<Eigen::MatrixXd> factor(s(x));
  if (factor.info() != Eigen::Success) {
    throw OdeError("the ODE's s is not positive definite, so theta = s^-1 b is undefined; the "
                   "integration diverged. Tighten ode.rel_tol and ode.abs_tol.");
  }
  return factor.solve(b(x));
}

void OdeSystem::preference_probabilities(const Eigen::VectorXd& theta, Eigen::MatrixXd& P) const {
  const auto Theta = theta_matrix(theta, model_.product_dim, model_.user_dim);
  P.noalias() = model_.a * (model_.W.transpose() * (Theta * model_.V));
  // Softmax per column, shifted by the column maximum so that exp never overflows.
  P.rowwise() -= P.colwise().maxCoeff();
  P = P.array().exp();
  P.array().rowwise() /= P.colwise().sum().array();
}

void OdeSystem::assemble_s(const Eigen::MatrixXd& weighted_P, Eigen::MatrixXd& s) const {
  const int p = model_.user_dim;
  const int q = model_.product_dim;
  // G (p^2 x K): column k is vec(sum_n lambda_n P_nk v_n v_n^T).
  const Eigen::MatrixXd G = user_outer_ * weighted_P.transpose();
  // H((i, i'), (j, j')) = sum_k G_k(i, i') w_k(j) w_k(j') is entry (i q + j, i' q + j') of s.
  const Eigen::MatrixXd H = G * product_outer_.transpose();
  s.resize(d_, d_);
  for (int i2 = 0; i2 < p; ++i2) {
    for (int j2 = 0; j2 < q; ++j2) {
      for (int i = 0; i < p; ++i) {
        for (int j = 0; j < q; ++j) s(i * q + j, i2 * q + j2) = H(i + p * i2, j + q * j2);
      }
    }
  }
}

void OdeSystem::targets(const Eigen::VectorXd& theta, const Eigen::Ref<const Eigen::MatrixXd>& Y,
                        OdeTargets& out) const {
  preference_probabilities(theta, out.P);
  out.recommended.noalias() = model_.W * out.P;

  const Eigen::MatrixXd weighted_P = out.P * model_.arrival.asDiagonal();
  // b* as the q x p matrix sum_n sum_k lambda_n P_nk (w_k^T y_n) w_k v_n^T.
  const Eigen::MatrixXd rewards = model_.W.transpose() * Y;  // K x N: w_k^T y_n
  const Eigen::MatrixXd reward_weights = weighted_P.cwiseProduct(rewards);
  out.b.resize(d_);
  Eigen::Map<Eigen::MatrixXd>(out.b.data(), model_.product_dim, model_.user_dim).noalias() =
      model_.W * (reward_weights * model_.V.transpose());

  assemble_s(weighted_P, out.s);
}

void OdeSystem::derivative(const double* x, double* dxdt) const {
  const Eigen::VectorXd theta_now = theta(x);
  const auto Y = y(x);
  targets(theta_now, Y, workspace_);

  Eigen::Map<Eigen::VectorXd>(dxdt, d_) = workspace_.b - b(x);
  Eigen::Map<Eigen::MatrixXd>(dxdt + d_, d_, d_) = workspace_.s - s(x);
  Eigen::Map<Eigen::MatrixXd> dy(dxdt + d_ + d_ * d_, model_.product_dim, model_.users);
  const Eigen::VectorXd rates = model_.schedule.rho * model_.arrival;
  dy = (workspace_.recommended - Y) * rates.asDiagonal();
}

void OdeSystem::operator()(const std::vector<double>& x, std::vector<double>& dxdt,
                           double /*tau*/) const {
  dxdt.resize(size_);
  derivative(x.data(), dxdt.data());
}

const char* ode_method_name() {
  return "runge_kutta_dopri5 (Boost.Odeint), adaptive step with dense output";
}

void integrate_ode(const OdeSystem& system, std::vector<double> x0,
                   const std::vector<double>& times, const OdeIntegration& settings,
                   const std::function<void(std::size_t, double, const std::vector<double>&)>& observe) {
  namespace odeint = boost::numeric::odeint;
  using State = std::vector<double>;
  if (x0.size() != system.size()) throw OdeError("the ODE's initial state has the wrong size");

  // A lambda holding a reference, because Odeint copies the system it is given.
  auto rhs = [&system](const State& x, State& dxdt, double tau) { system(x, dxdt, tau); };
  auto stepper = odeint::make_dense_output(settings.abs_tol, settings.rel_tol,
                                           odeint::runge_kutta_dopri5<State>());
  stepper.initialize(x0, 0.0, 1e-3);

  std::size_t steps = 0;
  State x(x0.size());
  try {
    for (std::size_t i = 0; i < times.size(); ++i) {
      const double target = times[i];
      if (target <= 0.0) {
        observe(i, target, x0);
        continue;
      }
      while (stepper.current_time() < target) {
        stepper.do_step(rhs);
        if (++steps > settings.max_steps) {
          throw OdeError(fmt::format(
              "the ODE needed more than {} steps to reach tau = {} (it reached tau = {}). Loosen "
              "ode.rel_tol / ode.abs_tol, or shorten the horizon.",
              settings.max_steps, target, stepper.current_time()));
        }
        if (!all_finite(stepper.current_state())) {
          throw OdeError(fmt::format("the ODE state is not finite at tau = {}. Tighten "
                                     "ode.rel_tol and ode.abs_tol.", stepper.current_time()));
        }
      }
      stepper.calc_state(target, x);
      observe(i, target, x);
    }
  } catch (const odeint::step_adjustment_error& error) {
    throw OdeError(fmt::format("the ODE step size could not be adjusted near tau = {}: {}",
                               stepper.current_time(), error.what()));
  }
}

}  // namespace loopmc
