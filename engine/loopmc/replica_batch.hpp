#pragma once
// Up to LockstepLearner::kLanes replicas advanced in lockstep: each lane's
// arrival, softmax draw, reward and user update run as in Replica, and the
// learner updates of all lanes run as one SIMD update. A replica's results
// equal those of Replica::run for the same index, bit for bit, whichever
// replicas share its batch.

#include "loopmc/lockstep_learner.hpp"
#include "loopmc/replica.hpp"

#include <span>
#include <vector>

namespace loopmc {

// Splits `indices` into batches for `threads` threads: the fewest batches that
// give every thread one and hold at most kLanes replicas each, with sizes
// differing by at most one. A batch costs about the same with any number of
// used lanes, so smaller batches would only add work.
std::vector<std::vector<std::uint64_t>> plan_batches(std::span<const std::uint64_t> indices,
                                                     int threads);

class ReplicaBatch {
 public:
  static constexpr int kLanes = LockstepLearner::kLanes;

  ReplicaBatch(const SharedInputs& shared, bool keep_user_states);

  // Runs the replicas `indices` (at most kLanes) from t = 0 to the horizon and
  // fills records[l] for indices[l]; records has at least indices.size() entries.
  // Throws NumericalFault, or RunStopped when `stop` becomes true.
  void run(std::span<const std::uint64_t> indices, std::span<ReplicaRecord> records,
           const std::atomic<bool>& stop, const Replica::StepReporter& report_steps);

  // Single steps, for tests: reset with the replica index of each used lane,
  // then step(t) for t = 0, 1, ...
  void reset(std::span<const std::uint64_t> indices);
  void step(std::uint64_t t);
  const Replica& lane(int index) const { return lanes_[index]; }
  const Eigen::VectorXd& theta(int lane) const { return theta_[lane]; }
  double loss(int lane) const { return learner_.loss(lane); }

 private:
  const SharedInputs& shared_;
  bool keep_user_states_;
  std::vector<Replica> lanes_;  // one per used lane, made on first use
  LockstepLearner learner_;
  std::vector<Eigen::VectorXd> theta_;  // each lane's theta, contiguous for the scores
  double rewards_[kLanes] = {};
  int used_ = 0;
};

}  // namespace loopmc
