#include "loopmc/replica_batch.hpp"

#include "loopmc/step_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace loopmc {

std::vector<std::vector<std::uint64_t>> plan_batches(std::span<const std::uint64_t> indices,
                                                     int threads) {
  const std::size_t count = indices.size();
  const std::size_t lanes = ReplicaBatch::kLanes;
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
      learner_(model_.dim()),
      users_(static_cast<std::size_t>(model_.user_dim)),
      projection_(static_cast<std::size_t>(model_.product_dim)),
      recommended_(static_cast<std::size_t>(model_.product_dim)),
      scores_(static_cast<std::size_t>(model_.products)) {
  lanes_.reserve(kLanes);
}

// Lanes past the used ones see zero user attributes every step, so their
// context and reward are zero and their factor and theta stay as reset: they
// need no replica state.
void ReplicaBatch::reset(std::span<const std::uint64_t> indices) {
  if (indices.empty() || indices.size() > static_cast<std::size_t>(kLanes)) {
    throw std::invalid_argument("a replica batch runs 1 to kLanes replicas");
  }
  used_ = static_cast<int>(indices.size());
  while (static_cast<int>(lanes_.size()) < used_) lanes_.emplace_back(shared_, keep_user_states_);
  for (int l = 0; l < kLanes; ++l) {
    if (l < used_) lanes_[l].reset(indices[l]);
    draws_[l] = {};
    products_[l] = 0;
    rewards_[l] = 0;
  }
  learner_.reset(model_.schedule, model_.zeta);
}

Eigen::VectorXd ReplicaBatch::theta(int lane) const {
  Eigen::VectorXd theta(learner_.dim());
  learner_.copy_theta(lane, theta.data());
  return theta;
}

void ReplicaBatch::step(std::uint64_t t) {
  observe(t);
  learner_.update(rewards_);
  for (int l = 0; l < used_; ++l) lanes_[l].move_user(t);
}

void ReplicaBatch::observe(std::uint64_t t) {
  const int p = model_.user_dim;
  const int q = model_.product_dim;

  // 1. Arrivals.
  for (int l = 0; l < used_; ++l) draws_[l] = lanes_[l].draw(t);
  for (int i = 0; i < p; ++i) {
    for (int l = 0; l < kLanes; ++l) {
      users_[i][l] = l < used_ ? model_.V(i, draws_[l].arrival) : 0.0;
    }
  }

  // 2. Scores and the softmax draw.
  draw_products(t);

  // 3. Rewards.
  for (int l = 0; l < used_; ++l) {
    rewards_[l] =
        lanes_[l].reward(t, draws_[l].arrival, static_cast<int>(products_[l]), draws_[l].noise);
  }

  // 4. The learner's contexts v_n (x) w_k.
  for (int j = 0; j < q; ++j) {
    for (int l = 0; l < kLanes; ++l) recommended_[j][l] = model_.W(j, products_[l]);
  }
  Pack* context = learner_.context();
  for (int i = 0; i < p; ++i) {
    for (int j = 0; j < q; ++j) context[i * q + j] = users_[i] * recommended_[j];
  }
}

void ReplicaBatch::draw_products(std::uint64_t t) {
  const int K = model_.products;
  kernels::project(learner_.theta(), users_.data(), model_.user_dim, model_.product_dim, model_.a,
                   projection_.data());
  const Pack top =
      kernels::score(model_.W.data(), model_.product_dim, K, projection_.data(), scores_.data());
  check_finite(top, t, "the largest softmax score");
  const Pack total = kernels::softmax_weights(scores_.data(), K, top);
  check_finite(total, t, "the sum of softmax weights");

  Pack target{};
  for (int l = 0; l < used_; ++l) target[l] = draws_[l].choice * total[l];
  const LaneIntegers chosen = kernels::draw_index(scores_.data(), K, target);
  for (int l = 0; l < kLanes; ++l) products_[l] = chosen[l];
}

void ReplicaBatch::check_finite(const Pack& values, std::uint64_t t, const char* quantity) const {
  for (int l = 0; l < used_; ++l) {
    if (!std::isfinite(values[l])) throw NumericalFault(lanes_[l].index_, t, quantity, values[l]);
  }
}

void ReplicaBatch::record_checkpoint(std::size_t checkpoint, std::span<ReplicaRecord> records) {
  for (int l = 0; l < used_; ++l) {
    const Eigen::VectorXd lane_theta = theta(l);
    if (checkpoint == 0) {
      lanes_[l].record_checkpoint(0, records[l], lane_theta, loss(l));
    } else {
      lanes_[l].end_interval(checkpoint, records[l], lane_theta, loss(l));
    }
  }
}

void ReplicaBatch::run(std::span<const std::uint64_t> indices, std::span<ReplicaRecord> records,
                       const std::atomic<bool>& stop, const Replica::StepReporter& report_steps) {
  const auto& checkpoints = shared_.job.run.checkpoints;
  const int used = static_cast<int>(indices.size());
  reset(indices);
  for (int l = 0; l < used; ++l) lanes_[l].prepare_record(indices[l], records[l]);
  record_checkpoint(0, records);

  std::uint64_t unreported = 0;
  for (std::size_t c = 1; c < checkpoints.size(); ++c) {
    for (int l = 0; l < used; ++l) lanes_[l].begin_interval(c);
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
