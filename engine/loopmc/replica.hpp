#pragma once
// One stochastic replica of the model: the population state Y, the learner
// and the per-step loop. A Replica object is a reusable workspace, reset for
// each replica it runs. The runner keeps one per used lane of each thread's
// ReplicaBatch, so memory grows with threads x lanes, not with the replica count.

#include "loopmc/alias_table.hpp"
#include "loopmc/job.hpp"
#include "loopmc/learner.hpp"
#include "loopmc/rng.hpp"

#include <Eigen/Dense>

#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace loopmc {

// Steps between checks of the stop flag and progress reports: small enough to
// stop within milliseconds, large enough to cost nothing per step.
inline constexpr std::uint64_t kReportInterval = 1 << 14;

// Everything one replica records at its checkpoints (T of them).
struct ReplicaRecord {
  std::uint64_t replica = 0;
  Eigen::MatrixXi preference_counts;  // K x T
  Eigen::VectorXd dispersion, residual, loss, drift, gini, entropy;  // T each
  Eigen::MatrixXd theta;              // d x T
  std::vector<double> user_states;    // T x N x q (row-major) when kept, else empty
};

// A non-finite value met inside a replica, with where it happened.
class NumericalFault : public std::runtime_error {
 public:
  NumericalFault(std::uint64_t replica, std::uint64_t step, const std::string& quantity,
                 double value);
  std::uint64_t replica;
  std::uint64_t step;
};

// Raised inside a replica when the run was asked to stop (a signal, or another
// replica's failure).
class RunStopped : public std::runtime_error {
 public:
  RunStopped() : std::runtime_error("run stopped") {}
};

// The random draws of one step of one replica.
struct StepDraws {
  int arrival = 0;      // the arriving user n
  double choice = 0;    // uniform on [0, 1) for the softmax draw
  double noise = 0;     // standard normal reward noise, 0 when sigma = 0
};

// Data shared by all replicas of a job, built once.
struct SharedInputs {
  explicit SharedInputs(const Job& job);
  const Job& job;
  AliasTable arrivals;
  Eigen::MatrixXd products_by_row;  // W^T, K x q: the scalar score kernel's layout
  // Preferred products of Y_0 and their counts, the same for every replica:
  // computed once, since N K q operations dominate a large population's start.
  Eigen::VectorXi initial_preferred;
  Eigen::VectorXi initial_counts;
};

class Replica {
 public:
  // `report_steps` is called from the running thread every few thousand steps
  // with the number of steps done since its last call.
  using StepReporter = std::function<void(std::uint64_t)>;

  Replica(const SharedInputs& shared, bool keep_user_states);

  // Runs replica `index` from t = 0 to the horizon and fills `record`.
  // Throws NumericalFault, or RunStopped when `stop` becomes true.
  void run(std::uint64_t index, ReplicaRecord& record, const std::atomic<bool>& stop,
           const StepReporter& report_steps);

  // Single steps, for tests: reset, then step(t) for t = 0, 1, ...
  void reset(std::uint64_t index);
  void step(std::uint64_t t);
  const Eigen::MatrixXd& user_states() const { return Y_; }
  const Learner& learner() const { return learner_; }
  int last_arrival() const { return last_arrival_; }
  int last_product() const { return last_product_; }
  double last_reward() const { return last_reward_; }

 private:
  // ReplicaBatch drives several replicas through these pieces with one
  // lockstep learner in place of each replica's own.
  friend class ReplicaBatch;

  // Steps 1-4 of step t with the learner's current theta: draws the arrival and
  // the product, fills context_ and returns the reward.
  double observe(std::uint64_t t, const double* theta);
  // Step t's random draws, which depend on nothing but the stream: the
  // arriving user, the uniform of the softmax draw and the reward noise.
  StepDraws draw(std::uint64_t t) const;
  // The arrival and the softmax uniform from the first two words of a step's
  // random block: draw() without the noise. A lockstep batch draws the blocks
  // of all its lanes at once.
  StepDraws draw_without_noise(std::uint64_t arrival_word, std::uint64_t choice_word) const {
    return {static_cast<int>(shared_.arrivals.sample(to_uniform(arrival_word))),
            to_uniform(choice_word), 0};
  }
  // Step 2: scores a * w_k^T Theta v for the arriving user's attributes v and
  // draws a product from their softmax with the uniform `choice`.
  int choose_product(std::uint64_t t, const double* theta, const double* v, double choice);
  // Step 3: the reward of product k shown to user n, with the step's noise,
  // which becomes the replica's last observation.
  double reward(std::uint64_t t, int n, int k, double noise);
  // Step 5: moves the last arriving user toward the last recommended product.
  void move_user(std::uint64_t t);

  void recompute_preferences();
  void prepare_record(std::uint64_t index, ReplicaRecord& record) const;
  void begin_interval(std::size_t checkpoint);
  void end_interval(std::size_t checkpoint, ReplicaRecord& record, const Eigen::VectorXd& theta,
                    double loss);
  void record_checkpoint(std::size_t checkpoint, ReplicaRecord& record,
                         const Eigen::VectorXd& theta, double loss) const;

  const SharedInputs& shared_;
  const Model& model_;
  bool keep_user_states_;
  bool track_preferences_ = false;

  RandomStream stream_{0, 0, Stream::step};
  std::uint64_t index_ = 0;
  Learner learner_;
  Eigen::MatrixXd Y_;              // q x N
  Eigen::VectorXi preferred_;      // N
  Eigen::VectorXi counts_;         // K
  Eigen::VectorXd projection_;     // q: a * Theta v_n
  Eigen::VectorXd scores_;         // K, then the softmax weights
  Eigen::VectorXd context_;        // d
  int last_arrival_ = -1;
  int last_product_ = -1;
  double last_reward_ = 0;
};

}  // namespace loopmc
