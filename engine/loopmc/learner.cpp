#include "loopmc/learner.hpp"

#include "loopmc/cholesky_kernels.hpp"

#include <cmath>

namespace loopmc {

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

void Learner::rotate_in(double* x, double rhs_entry) {
  kernels::rotate_in(factor_.data(), dim_, z_.data(), x, rhs_entry, dim_);
}

void Learner::solve_theta() {
  kernels::solve_transposed(factor_.data(), dim_, z_.data(), theta_.data(), dim_);
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
  return learner_loss(reward_squares_, prior_weight_, total_weight_, z_, theta_);
}

double learner_loss(double reward_squares, double prior_weight, double total_weight,
                    const Eigen::VectorXd& z, const Eigen::VectorXd& theta) {
  if (total_weight <= 0) return 0.0;
  // sum w (R - c^T theta)^2 = sum w R^2 - 2 theta^T B + theta^T (S - prior) theta,
  // and theta^T B = theta^T S theta = |z|^2 because L^T theta = z.
  const double value = reward_squares - z.squaredNorm() - prior_weight * theta.squaredNorm();
  return std::max(value, 0.0) / total_weight;
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
