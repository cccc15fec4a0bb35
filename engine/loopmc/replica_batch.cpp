#include "loopmc/replica_batch.hpp"

#include "loopmc/step_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace loopmc {

std::vector<std::vector<std::uint64_t>> plan_batches(std::span<const std::uint64_t> indices,
                                                     int threads, int batch_size) {
  const std::size_t count = indices.size();
  const auto lanes = static_cast<std::size_t>(std::clamp(batch_size, 1, ReplicaBatch::kMaxReplicas));
  const std::size_t by_lanes = (count + lanes - 1) / lanes;
  const std::size_t batches =
      std::min(count, std::max(by_lanes, static_cast<std::size_t>(std::max(threads, 1))));
  std::vector<std::vector<std::uint64_t>> plan(batches);
  std::size_t next = 0;
  for (std::size_t b = 0; b < batches; ++b) {
    const std::size_t size = count / batches + (b < count % batches ? 1 : 0);
    plan[b].assign(indices.begin() + next, indices.begin() + next + size);
    next += size;
  }
  return plan;
}

ReplicaBatch::ReplicaBatch(const SharedInputs& shared, bool keep_user_states)
    : shared_(shared),
      model_(shared.job.model),
      keep_user_states_(keep_user_states),
      learners_(kPacks, LockstepLearner(model_.dim())),
      users_(static_cast<std::size_t>(model_.user_dim)),
      projection_(static_cast<std::size_t>(model_.product_dim)),
      recommended_(static_cast<std::size_t>(model_.product_dim)),
      scores_(static_cast<std::size_t>(model_.products)),
      lane_theta_(model_.dim()) {
  replicas_.reserve(kMaxReplicas);
}

// Lanes past the used ones see zero user attributes every step, so their
// context and reward are zero and their factor and theta stay as reset: they
// need no replica state.
void ReplicaBatch::reset(std::span<const std::uint64_t> indices) {
  if (indices.empty() || indices.size() > static_cast<std::size_t>(kMaxReplicas)) {
    throw std::invalid_argument("a replica batch runs 1 to kMaxReplicas replicas");
  }
  used_ = static_cast<int>(indices.size());
  while (static_cast<int>(replicas_.size()) < used_) {
    replicas_.emplace_back(shared_, keep_user_states_);
  }
  for (int r = 0; r < kMaxReplicas; ++r) {
    lane_replicas_[r / kLanes][r % kLanes] = r < used_ ? indices[r] : 0;
    if (r < used_) replicas_[r].reset(indices[r]);
    draws_[r] = {};
    products_[r] = 0;
    rewards_[r] = 0;
  }
  for (LockstepLearner& learner : learners_) learner.reset(model_.schedule, model_.zeta);
}

Eigen::VectorXd ReplicaBatch::theta(int replica) const {
  Eigen::VectorXd theta(model_.dim());
  learners_[replica / kLanes].copy_theta(replica % kLanes, theta.data());
  return theta;
}

double ReplicaBatch::loss(int replica) const {
  return learners_[replica / kLanes].loss(replica % kLanes);
}

void ReplicaBatch::step(std::uint64_t t) {
  // The Philox blocks of all lanes at once: one replica at a time, they took
  // about a tenth of the step.
  LaneBlock blocks[kPacks];
  if (packs_used() == 2) {
    philox_blocks<2>(shared_.job.run.seed, lane_replicas_, Stream::step, t, blocks);
  } else {
    philox_blocks<1>(shared_.job.run.seed, lane_replicas_, Stream::step, t, blocks);
  }
  for (int pack = 0; pack < packs_used(); ++pack) observe(pack, t, blocks[pack]);
  if (packs_used() == 2) {
    LockstepLearner::update_pair(learners_[0], rewards_, learners_[1], rewards_ + kLanes);
  } else {
    learners_[0].update(rewards_);
  }
  for (int r = 0; r < used_; ++r) replicas_[r].move_user(t);
}

void ReplicaBatch::observe(int pack, std::uint64_t t, const LaneBlock& bits) {
  const int p = model_.user_dim;
  const int q = model_.product_dim;
  const int first = pack * kLanes;
  const int lanes = lanes_used(pack);

  // 1. Arrivals, softmax uniforms and reward noise.
  draw(pack, bits);

  // 2. Scores and the softmax draw.
  draw_products(pack, t);

  // 3. Rewards.
  for (int r = first; r < first + lanes; ++r) {
    rewards_[r] = replicas_[r].reward(t, draws_[r].arrival, static_cast<int>(products_[r]),
                                      draws_[r].noise);
  }

  // 4. The learner's contexts v_n (x) w_k.
  LaneIntegers products;
  std::memcpy(&products, products_ + first, sizeof(products));
  for (int j = 0; j < q; ++j) recommended_[j] = gather(model_.W.data() + j, products * q, kLanes);
  Pack* context = learners_[pack].context();
  for (int i = 0; i < p; ++i) {
    for (int j = 0; j < q; ++j) context[i * q + j] = users_[i] * recommended_[j];
  }
}

void ReplicaBatch::draw(int pack, const LaneBlock& bits) {
  const int p = model_.user_dim;
  const int first = pack * kLanes;
  const int lanes = lanes_used(pack);

  for (int l = 0; l < lanes; ++l) {
    draws_[first + l] = replicas_[first + l].draw_without_noise(bits.word[0][l], bits.word[1][l]);
  }
  if (model_.sigma > 0) {
    for (int l = 0; l < lanes; ++l) draws_[first + l].noise = to_normal(bits.word[2][l], bits.word[3][l]);
  }
  LaneIntegers arrivals{};
  for (int l = 0; l < lanes; ++l) arrivals[l] = draws_[first + l].arrival;
  for (int i = 0; i < p; ++i) users_[i] = gather(model_.V.data() + i, arrivals * p, lanes);
}

void ReplicaBatch::draw_products(int pack, std::uint64_t t) {
  const int K = model_.products;
  const int first = pack * kLanes;

  // A pack's scores and softmax cost the same for any number of used lanes,
  // about as much as those of two replicas one at a time.
  if (lanes_used(pack) <= kFewLanes) {
    for (int r = first; r < first + lanes_used(pack); ++r) {
      learners_[pack].copy_theta(r - first, lane_theta_.data());
      products_[r] = replicas_[r].choose_product(
          t, lane_theta_.data(), model_.V.col(draws_[r].arrival).data(), draws_[r].choice);
    }
    return;
  }
  kernels::project(learners_[pack].theta(), users_.data(), model_.user_dim, model_.product_dim,
                   model_.a, projection_.data());
  const Pack top =
      kernels::score(model_.W.data(), model_.product_dim, K, projection_.data(), scores_.data());
  check_finite(pack, top, t, "the largest softmax score");
  const Pack total = kernels::softmax_weights(scores_.data(), K, top);
  check_finite(pack, total, t, "the sum of softmax weights");

  Pack target{};
  for (int l = 0; l < lanes_used(pack); ++l) target[l] = draws_[first + l].choice * total[l];
  const LaneIntegers chosen = kernels::draw_index(scores_.data(), K, target);
  std::memcpy(products_ + first, &chosen, sizeof(chosen));
}

void ReplicaBatch::check_finite(int pack, const Pack& values, std::uint64_t t,
                                const char* quantity) const {
  for (int l = 0; l < lanes_used(pack); ++l) {
    if (!std::isfinite(values[l])) {
      throw NumericalFault(replicas_[pack * kLanes + l].index_, t, quantity, values[l]);
    }
  }
}

void ReplicaBatch::record_checkpoint(std::size_t checkpoint, std::span<ReplicaRecord> records) {
  for (int r = 0; r < used_; ++r) {
    const Eigen::VectorXd replica_theta = theta(r);
    if (checkpoint == 0) {
      replicas_[r].record_checkpoint(0, records[r], replica_theta, loss(r));
    } else {
      replicas_[r].end_interval(checkpoint, records[r], replica_theta, loss(r));
    }
  }
}

void ReplicaBatch::run(std::span<const std::uint64_t> indices, std::span<ReplicaRecord> records,
                       const std::atomic<bool>& stop, const Replica::StepReporter& report_steps) {
  const auto& checkpoints = shared_.job.run.checkpoints;
  const int used = static_cast<int>(indices.size());
  reset(indices);
  for (int r = 0; r < used; ++r) replicas_[r].prepare_record(indices[r], records[r]);
  record_checkpoint(0, records);

  std::uint64_t unreported = 0;
  for (std::size_t c = 1; c < checkpoints.size(); ++c) {
    for (int r = 0; r < used; ++r) replicas_[r].begin_interval(c);
    for (std::uint64_t t = checkpoints[c - 1]; t < checkpoints[c]; ++t) {
      step(t);
      if (++unreported == kReportInterval) {
        report_steps(unreported * static_cast<std::uint64_t>(used));
        unreported = 0;
        if (stop.load(std::memory_order_relaxed)) throw RunStopped();
      }
    }
    record_checkpoint(c, records);
  }
  report_steps(unreported * static_cast<std::uint64_t>(used));
}

}  // namespace loopmc
