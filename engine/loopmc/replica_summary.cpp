#include "loopmc/replica_summary.hpp"

namespace loopmc {

void ReplicaSummary::Welford::resize(std::size_t size) {
  mean.assign(size, 0.0);
  squares.assign(size, 0.0);
  count = 0;
}

void ReplicaSummary::Welford::add(const double* values) {
  ++count;
  const double inverse = 1.0 / static_cast<double>(count);
  for (std::size_t i = 0; i < mean.size(); ++i) {
    const double delta = values[i] - mean[i];
    mean[i] += delta * inverse;
    squares[i] += delta * (values[i] - mean[i]);
  }
}

std::vector<double> ReplicaSummary::Welford::variance() const {
  std::vector<double> result(mean.size(), 0.0);
  if (count < 2) return result;
  for (std::size_t i = 0; i < mean.size(); ++i) {
    result[i] = squares[i] / static_cast<double>(count - 1);
  }
  return result;
}

ReplicaSummary::ReplicaSummary(std::size_t checkpoints, std::size_t dim,
                               std::size_t user_state_values) {
  theta_.resize(checkpoints * dim);
  states_.resize(user_state_values);
}

void ReplicaSummary::add(const ReplicaRecord& record) {
  if (record.replica < next_) return;
  Pending& entry = pending_[record.replica];
  entry.theta.assign(record.theta.data(), record.theta.data() + record.theta.size());
  if (!states_.mean.empty()) entry.states = record.user_states;
  drain();
}

void ReplicaSummary::drain() {
  for (auto it = pending_.find(next_); it != pending_.end(); it = pending_.find(next_)) {
    theta_.add(it->second.theta.data());
    if (!states_.mean.empty()) states_.add(it->second.states.data());
    pending_.erase(it);
    ++next_;
  }
}

}  // namespace loopmc
