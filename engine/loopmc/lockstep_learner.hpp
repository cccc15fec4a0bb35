#pragma once
// The learner of kLanes replicas at once, one replica per SIMD lane. Each lane
// runs exactly the arithmetic of Learner (the same kernels), so its theta and
// loss equal those of the same replica run alone, bit for bit. The lanes hide
// each other's latency: the rotation's sqrt and divisions and the back
// substitution's sums are serial chains within one replica but independent
// across replicas.
//
// Layout: L is d x d column-major with a pack of kLanes values per entry, so
// every kernel operation reads one contiguous pack.

#include "loopmc/model.hpp"
#include "loopmc/pack.hpp"

#include <Eigen/Dense>

#include <cstdint>
#include <vector>

namespace loopmc {

class LockstepLearner {
 public:
  explicit LockstepLearner(int dim);

  // Sets every lane to S_0 = zeta I, B_0 = 0, as Learner::reset does.
  void reset(const Schedule& schedule, double zeta);

  // The contexts of the next update, d packs, filled by the caller; update
  // overwrites them.
  Pack* context() { return context_.data(); }

  // Adds each lane's observation (the contexts in context() and
  // rewards[lane]) and re-solves theta, as Learner::update does per lane.
  void update(const double* rewards);

  // update() of two learners of the same dimension, with their rotations and
  // their back substitutions interleaved: alone, each leaves the pipeline
  // idle between its dependent operations. Each ends exactly as its own
  // update() would.
  static void update_pair(LockstepLearner& first, const double* first_rewards,
                          LockstepLearner& second, const double* second_rewards);

  // Every lane's theta, d packs.
  const Pack* theta() const { return theta_.data(); }

  // Copies lane `lane`'s theta (d values) to `theta`.
  void copy_theta(int lane, double* theta) const;

  // Lane `lane`'s learner loss, equal to Learner::loss() of that replica.
  double loss(int lane) const;

  int dim() const { return dim_; }

 private:
  void add_observations(const double* rewards);
  Pack weigh_observations(const double* rewards);
  void solve_theta();
  void rescale_if_small();

  int dim_;
  Schedule schedule_;
  std::vector<Pack> factor_;  // L, d x d, column-major
  std::vector<Pack> z_;       // L^-1 B / kappa
  std::vector<Pack> theta_;
  std::vector<Pack> context_;  // rotation workspace
  Pack reward_squares_{};      // per lane, in units of kappa
  // The schedule's weights depend only on t, so these are the same in every lane.
  double scale_ = 1;
  double prior_weight_ = 0;
  double total_weight_ = 0;
};

}  // namespace loopmc
