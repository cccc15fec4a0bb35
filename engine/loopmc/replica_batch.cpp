#include "loopmc/replica_batch.hpp"

#include <algorithm>
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
      keep_user_states_(keep_user_states),
      learner_(shared.job.model.dim()),
      theta_(kLanes, Eigen::VectorXd::Zero(shared.job.model.dim())) {
  lanes_.reserve(kLanes);
}

// Lanes past the used ones get a zero context and reward every step, which
// leaves their factor and theta unchanged, so they need no replica state.
void ReplicaBatch::reset(std::span<const std::uint64_t> indices) {
  if (indices.empty() || indices.size() > static_cast<std::size_t>(kLanes)) {
    throw std::invalid_argument("a replica batch runs 1 to kLanes replicas");
  }
  used_ = static_cast<int>(indices.size());
  while (static_cast<int>(lanes_.size()) < used_) lanes_.emplace_back(shared_, keep_user_states_);
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(learner_.dim());
  for (int l = 0; l < kLanes; ++l) {
    if (l < used_) lanes_[l].reset(indices[l]);
    learner_.set_context(l, zero.data());
    rewards_[l] = 0;
    theta_[l].setZero();
  }
  learner_.reset(shared_.job.model.schedule, shared_.job.model.zeta);
}

void ReplicaBatch::step(std::uint64_t t) {
  for (int l = 0; l < used_; ++l) {
    rewards_[l] = lanes_[l].observe(t, theta_[l].data());
    learner_.set_context(l, lanes_[l].context_.data());
  }
  learner_.update(rewards_);
  for (int l = 0; l < used_; ++l) {
    learner_.copy_theta(l, theta_[l].data());
    lanes_[l].move_user(t);
  }
}

void ReplicaBatch::run(std::span<const std::uint64_t> indices, std::span<ReplicaRecord> records,
                       const std::atomic<bool>& stop, const Replica::StepReporter& report_steps) {
  const auto& checkpoints = shared_.job.run.checkpoints;
  const int used = static_cast<int>(indices.size());
  reset(indices);
  for (int l = 0; l < used; ++l) lanes_[l].prepare_record(indices[l], records[l]);
  for (int l = 0; l < used; ++l) lanes_[l].record_checkpoint(0, records[l], theta_[l], loss(l));

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
    for (int l = 0; l < used; ++l) lanes_[l].end_interval(c, records[l], theta_[l], loss(l));
  }
  report_steps(unreported * static_cast<std::uint64_t>(used));
}

}  // namespace loopmc
