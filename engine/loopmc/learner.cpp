#include "loopmc/learner.hpp"

#include <cmath>

namespace loopmc {

namespace {
// Rescale once kappa drops below 2^-200; multiply by 2^200 so every rescaling is exact.
constexpr double kRescaleBelow = 0x1.0p-200;
constexpr double kRescaleKappa = 0x1.0p200;
constexpr double kRescaleFactor = 0x1.0p-100;  // sqrt(1 / kRescaleKappa)
}  // namespace

void Learner::resize(int dim) {
  dim_ = dim;
  factor_.setZero(dim, dim);
  z_.setZero(dim);
  theta_.setZero(dim);
}

void Learner::reset(const Schedule& schedule, double zeta) {
  schedule_ = schedule;
  scale_ = 1.0;
  prior_weight_ = schedule.kind == ScheduleKind::harmonic ? schedule.t0 * zeta : zeta;
  factor_.setZero();
  factor_.diagonal().setConstant(std::sqrt(prior_weight_));
  z_.setZero();
  theta_.setZero();
  reward_squares_ = 0;
  total_weight_ = 0;
  steps_ = 0;
  rescalings_ = 0;
}

void Learner::update(double* context, double reward) {
  double weight = 1.0;
  if (schedule_.kind == ScheduleKind::constant) {
    scale_ *= 1.0 - schedule_.gamma;
    weight = schedule_.gamma / scale_;
  }

  const double root = std::sqrt(weight);
  for (int i = 0; i < dim_; ++i) context[i] *= root;
  rotate_in(context, root * reward);

  reward_squares_ += weight * reward * reward;
  total_weight_ += weight;
  ++steps_;
  solve_theta();
  rescale_if_small();
}

// Applies the Givens rotations that zero x against L, column by column, and
// the same rotations to (z, rhs_entry). Afterwards L' L'^T = L L^T + x x^T and
// L' z' = L z + x rhs_entry.
void Learner::rotate_in(double* x, double rhs_entry) {
  double* L = factor_.data();
  double* z = z_.data();
  const int d = dim_;
  for (int k = 0; k < d; ++k) {
    double* column = L + static_cast<std::ptrdiff_t>(k) * d;
    const double diagonal = column[k];
    const double radius = std::sqrt(diagonal * diagonal + x[k] * x[k]);
    const double cosine = diagonal / radius;
    const double sine = x[k] / radius;
    column[k] = radius;
    for (int i = k + 1; i < d; ++i) {
      const double l = column[i];
      const double xi = x[i];
      column[i] = cosine * l + sine * xi;
      x[i] = cosine * xi - sine * l;
    }
    const double zk = z[k];
    z[k] = cosine * zk + sine * rhs_entry;
    rhs_entry = cosine * rhs_entry - sine * zk;
  }
}

// Back substitution L^T theta = z, reading column i of L below the diagonal.
void Learner::solve_theta() {
  const double* L = factor_.data();
  const int d = dim_;
  for (int i = d - 1; i >= 0; --i) {
    const double* column = L + static_cast<std::ptrdiff_t>(i) * d;
    double sum = z_[i];
    for (int j = i + 1; j < d; ++j) sum -= column[j] * theta_[j];
    theta_[i] = sum / column[i];
  }
}

void Learner::rescale_if_small() {
  if (scale_ >= kRescaleBelow) return;
  scale_ *= kRescaleKappa;
  factor_ *= kRescaleFactor;
  z_ *= kRescaleFactor;
  reward_squares_ /= kRescaleKappa;
  prior_weight_ /= kRescaleKappa;
  total_weight_ /= kRescaleKappa;
  ++rescalings_;
}

double Learner::loss() const {
  if (total_weight_ <= 0) return 0.0;
  // sum w (R - c^T theta)^2 = sum w R^2 - 2 theta^T B + theta^T (S - prior) theta,
  // and theta^T B = theta^T S theta = |z|^2 because L^T theta = z.
  const double value =
      reward_squares_ - z_.squaredNorm() - prior_weight_ * theta_.squaredNorm();
  return std::max(value, 0.0) / total_weight_;
}

Eigen::VectorXd Learner::rhs() const {
  return factor_.triangularView<Eigen::Lower>() * z_;
}

Learner::State Learner::state() const {
  return {factor_, z_, scale_, reward_squares_, prior_weight_, total_weight_, steps_};
}

void Learner::restore(const State& state) {
  factor_ = state.factor;
  z_ = state.z;
  scale_ = state.scale;
  reward_squares_ = state.reward_squares;
  prior_weight_ = state.prior_weight;
  total_weight_ = state.total_weight;
  steps_ = state.steps;
  solve_theta();
}

}  // namespace loopmc
