#pragma once
// Up to kMaxReplicas replicas advanced in lockstep, one per lane of up to
// kPacks packs. Each replica's arrival, reward and user update run as in
// Replica. The scores, the softmax draw and the learner update run as pack
// computations, through the same kernels that Replica runs on scalars, and
// the back substitutions of two packs run interleaved. A replica's results
// equal those of Replica::run for the same index, bit for bit, whichever
// replicas share its batch.

#include "loopmc/lane_streams.hpp"
#include "loopmc/lockstep_learner.hpp"
#include "loopmc/replica.hpp"

#include <algorithm>
#include <span>
#include <vector>

namespace loopmc {

// Splits `indices` into batches for `threads` threads: the fewest batches that
// give every thread one and hold at most `batch_size` replicas each
// (ReplicaBatch::max_replicas), with sizes differing by at most one. A pack
// costs about the same with any number of used lanes, so smaller batches
// would only add work.
std::vector<std::vector<std::uint64_t>> plan_batches(std::span<const std::uint64_t> indices,
                                                     int threads, int batch_size);

class ReplicaBatch {
 public:
  static constexpr int kPacks = 2;
  static constexpr int kMaxReplicas = kPacks * kLanes;

  // The maximum number of replicas in a batch for learners of dimension d: two
  // packs up to d = 160, one above. Beyond that the second pack's factor
  // (d^2 x 64 bytes) costs more in memory traffic than the interleaved back
  // substitution saves. Measured per replica-step at K = 1000: two packs 3 %
  // faster at d = 144, one pack 2 % faster at d = 196 and 6 % at d = 256.
  // NOTE: the crossover was measured on one machine (1 MiB L2 per core) and
  // moves with the cache sizes.
  static int max_replicas(int d) { return d <= 160 ? kMaxReplicas : kLanes; }

  // Packs with at most this many replicas score them one at a time.
  static constexpr int kFewLanes = 2;

  ReplicaBatch(const SharedInputs& shared, bool keep_user_states);

  // Runs the replicas `indices` (at most kMaxReplicas) from t = 0 to the horizon and
  // fills records[l] for indices[l]; records has at least indices.size() entries.
  // Throws NumericalFault, or RunStopped when `stop` becomes true.
  void run(std::span<const std::uint64_t> indices, std::span<ReplicaRecord> records,
           const std::atomic<bool>& stop, const Replica::StepReporter& report_steps);

  // Single steps, for tests: reset with the replica index of each used lane,
  // then step(t) for t = 0, 1, ... Replica r of the batch is lane r % kLanes
  // of pack r / kLanes.
  void reset(std::span<const std::uint64_t> indices);
  void step(std::uint64_t t);
  const Replica& lane(int replica) const { return replicas_[replica]; }
  Eigen::VectorXd theta(int replica) const;
  double loss(int replica) const;

 private:
  // Steps 1-4 of step t for the replicas of pack `pack`, whose random blocks
  // are `bits`: fills its learner's contexts and its part of rewards_.
  void observe(int pack, std::uint64_t t, const LaneBlock& bits);
  // Step 1 for the replicas of pack `pack` from their random blocks: fills
  // draws_ and users_.
  void draw(int pack, const LaneBlock& bits);
  // Step 2 for the replicas of pack `pack`: the scores, softmax weights and
  // drawn products, for the pack at once unless it has at most kFewLanes
  // replicas.
  void draw_products(int pack, std::uint64_t t);
  // Throws NumericalFault for the first used lane of pack `pack` whose value
  // is not finite.
  void check_finite(int pack, const Pack& values, std::uint64_t t, const char* quantity) const;
  int packs_used() const { return (used_ + kLanes - 1) / kLanes; }
  // Replicas in use in pack `pack`.
  int lanes_used(int pack) const { return std::clamp(used_ - pack * kLanes, 0, kLanes); }
  // Records checkpoint 0, or ends the interval before a later one, in every lane.
  void record_checkpoint(std::size_t checkpoint, std::span<ReplicaRecord> records);

  const SharedInputs& shared_;
  const Model& model_;
  bool keep_user_states_;
  std::vector<Replica> replicas_;           // one per used lane, made on first use
  std::vector<LockstepLearner> learners_;  // one per pack
  std::vector<Pack> users_;       // p: attributes of each lane's arriving user
  std::vector<Pack> projection_;  // q: a * Theta v per lane
  std::vector<Pack> recommended_; // q: attributes of each lane's drawn product
  std::vector<Pack> scores_;      // K: scores, then softmax weights
  Eigen::VectorXd lane_theta_;    // d: one replica's theta, for packs of few replicas
  LaneWords lane_replicas_[kPacks] = {};  // each lane's replica index (0 where unused)
  StepDraws draws_[kMaxReplicas] = {};    // of the current step
  std::int64_t products_[kMaxReplicas] = {};
  double rewards_[kMaxReplicas] = {};
  int used_ = 0;
};

}  // namespace loopmc
