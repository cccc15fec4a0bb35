#include "loopmc/lockstep_learner.hpp"

#include "loopmc/cholesky_kernels.hpp"
#include "loopmc/learner.hpp"

#include <cmath>

namespace loopmc {

LockstepLearner::LockstepLearner(int dim)
    : dim_(dim),
      factor_(static_cast<std::size_t>(dim) * dim),
      z_(static_cast<std::size_t>(dim)),
      theta_(static_cast<std::size_t>(dim)),
      context_(static_cast<std::size_t>(dim)) {}

void LockstepLearner::reset(const Schedule& schedule, double zeta) {
  schedule_ = schedule;
  scale_ = 1.0;
  prior_weight_ = schedule.kind == ScheduleKind::harmonic ? schedule.t0 * zeta : zeta;
  std::fill(factor_.begin(), factor_.end(), Pack{});
  const Pack diagonal = broadcast(std::sqrt(prior_weight_));
  for (int i = 0; i < dim_; ++i) factor_[static_cast<std::size_t>(i) * dim_ + i] = diagonal;
  std::fill(z_.begin(), z_.end(), Pack{});
  std::fill(theta_.begin(), theta_.end(), Pack{});
  reward_squares_ = Pack{};
  total_weight_ = 0;
}

void LockstepLearner::update(const double* rewards) {
  add_observations(rewards);
  solve_theta();
  rescale_if_small();
}

void LockstepLearner::update_pair(LockstepLearner& first, const double* first_rewards,
                                  LockstepLearner& second, const double* second_rewards) {
  Pack* const factors[2] = {first.factor_.data(), second.factor_.data()};
  Pack* const right_sides[2] = {first.z_.data(), second.z_.data()};
  Pack* const contexts[2] = {first.context_.data(), second.context_.data()};
  const Pack weighted_rewards[2] = {first.weigh_observations(first_rewards),
                                    second.weigh_observations(second_rewards)};
  kernels::rotate_in_group(factors, first.dim_, right_sides, contexts, weighted_rewards,
                           first.dim_);

  const Pack* const solved_factors[2] = {first.factor_.data(), second.factor_.data()};
  const Pack* const solved_sides[2] = {first.z_.data(), second.z_.data()};
  Pack* const solutions[2] = {first.theta_.data(), second.theta_.data()};
  kernels::solve_transposed_group(solved_factors, solved_sides, solutions, first.dim_, first.dim_);
  first.rescale_if_small();
  second.rescale_if_small();
}

void LockstepLearner::add_observations(const double* rewards) {
  const Pack weighted_reward = weigh_observations(rewards);
  kernels::rotate_in(factor_.data(), dim_, z_.data(), context_.data(), weighted_reward, dim_);
}

// Scales the contexts by the square root of the step's weight, adds the
// observations to the loss sums and returns the rewards scaled alike.
Pack LockstepLearner::weigh_observations(const double* rewards) {
  double weight = 1.0;
  if (schedule_.kind == ScheduleKind::constant) {
    scale_ *= 1.0 - schedule_.gamma;
    weight = schedule_.gamma / scale_;
  }

  const double root = std::sqrt(weight);
  const Pack reward = load_pack(rewards);
  for (Pack& entry : context_) entry *= root;
  reward_squares_ += weight * reward * reward;
  total_weight_ += weight;
  return root * reward;
}

void LockstepLearner::solve_theta() {
  kernels::solve_transposed(factor_.data(), dim_, z_.data(), theta_.data(), dim_);
}

void LockstepLearner::rescale_if_small() {
  if (scale_ >= kRescaleBelow) return;
  scale_ *= kRescaleKappa;
  for (Pack& entry : factor_) entry *= kRescaleFactor;
  for (Pack& entry : z_) entry *= kRescaleFactor;
  reward_squares_ /= kRescaleKappa;
  prior_weight_ /= kRescaleKappa;
  total_weight_ /= kRescaleKappa;
}

void LockstepLearner::copy_theta(int lane, double* theta) const {
  for (int i = 0; i < dim_; ++i) theta[i] = theta_[i][lane];
}

double LockstepLearner::loss(int lane) const {
  Eigen::VectorXd z(dim_);
  Eigen::VectorXd theta(dim_);
  for (int i = 0; i < dim_; ++i) z[i] = z_[i][lane];
  copy_theta(lane, theta.data());
  return learner_loss(reward_squares_[lane], prior_weight_, total_weight_, z, theta);
}

}  // namespace loopmc
