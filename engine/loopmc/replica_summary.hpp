#pragma once
// Mean and variance over replicas of theta and of the user states, per
// checkpoint. Records arrive in any order (threads finish when they finish);
// they are merged strictly in replica order, so the floating-point result is
// the same for any thread count. A resumed run feeds the replicas it kept
// from the file through add() as well, so its summary is bitwise the same too.

#include "loopmc/replica.hpp"

#include <cstdint>
#include <map>
#include <vector>

namespace loopmc {

class ReplicaSummary {
 public:
  // `user_state_values` is T * N * q, or 0 to summarise theta only.
  ReplicaSummary(std::size_t checkpoints, std::size_t dim, std::size_t user_state_values);

  // Takes the parts of `record` that the summary needs; merges every record
  // whose predecessors have all arrived. Records of replicas before
  // `next_replica()` are ignored.
  void add(const ReplicaRecord& record);

  std::uint64_t next_replica() const { return next_; }
  std::size_t pending() const { return pending_.size(); }

  // Sample variance (divisor count - 1); 0 while fewer than two replicas are merged.
  std::vector<double> theta_mean() const { return theta_.mean; }
  std::vector<double> theta_variance() const { return theta_.variance(); }
  std::vector<double> user_state_mean() const { return states_.mean; }
  std::vector<double> user_state_variance() const { return states_.variance(); }
  bool has_user_states() const { return !states_.mean.empty(); }

 private:
  struct Welford {
    std::vector<double> mean, squares;
    std::uint64_t count = 0;
    void resize(std::size_t size);
    void add(const double* values);
    std::vector<double> variance() const;
  };
  struct Pending {
    std::vector<double> theta;
    std::vector<double> states;
  };

  void drain();

  Welford theta_;
  Welford states_;
  std::uint64_t next_ = 0;
  std::map<std::uint64_t, Pending> pending_;
};

}  // namespace loopmc
