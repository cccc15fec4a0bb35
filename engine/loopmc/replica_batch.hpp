#pragma once
// Up to kLanes replicas advanced in lockstep. Each lane's arrival, reward and
// user update run as in Replica. The scores, the softmax draw and the learner
// update of all lanes run as one pack computation, through the same kernels
// that Replica runs on scalars. A replica's results equal those of
// Replica::run for the same index, bit for bit, whichever replicas share its
// batch.

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
  static constexpr int kLanes = loopmc::kLanes;

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
  Eigen::VectorXd theta(int lane) const;
  double loss(int lane) const { return learner_.loss(lane); }

 private:
  // Steps 1-4 of step t for every lane: fills the learner's contexts and rewards_.
  void observe(std::uint64_t t);
  // Step 2 for every lane: the scores, softmax weights and drawn products.
  void draw_products(std::uint64_t t);
  // Throws NumericalFault for the first used lane whose value is not finite.
  void check_finite(const Pack& values, std::uint64_t t, const char* quantity) const;
  // Records checkpoint 0, or ends the interval before a later one, in every lane.
  void record_checkpoint(std::size_t checkpoint, std::span<ReplicaRecord> records);

  const SharedInputs& shared_;
  const Model& model_;
  bool keep_user_states_;
  std::vector<Replica> lanes_;  // one per used lane, made on first use
  LockstepLearner learner_;
  std::vector<Pack> users_;       // p: attributes of each lane's arriving user
  std::vector<Pack> projection_;  // q: a * Theta v per lane
  std::vector<Pack> recommended_; // q: attributes of each lane's drawn product
  std::vector<Pack> scores_;      // K: scores, then softmax weights
  StepDraws draws_[kLanes] = {};  // of the current step
  std::int64_t products_[kLanes] = {};
  double rewards_[kLanes] = {};
  int used_ = 0;
};

}  // namespace loopmc
