#include "loopmc/replica.hpp"

#include "loopmc/step_kernels.hpp"

#include <spdlog/fmt/fmt.h>

#include <cmath>

namespace loopmc {

NumericalFault::NumericalFault(std::uint64_t replica_index, std::uint64_t step_index,
                               const std::string& quantity, double value)
    : std::runtime_error(fmt::format(
          "replica {} step {}: {} became {}. The run stops instead of writing non-finite "
          "results; check the job's scale (a, zeta, attributes) for overflow.",
          replica_index, step_index, quantity, value)),
      replica(replica_index),
      step(step_index) {}

SharedInputs::SharedInputs(const Job& job_in)
    : job(job_in),
      arrivals(std::span<const double>(job_in.model.arrival.data(),
                                       static_cast<std::size_t>(job_in.model.arrival.size()))),
      products_by_row(job_in.model.W.transpose()),
      initial_preferred(job_in.model.users),
      initial_counts(Eigen::VectorXi::Zero(job_in.model.products)) {
  const Model& model = job_in.model;
  // Users are independent, so the N argmax computations split over threads.
#pragma omp parallel for schedule(static)
  for (int n = 0; n < model.users; ++n) {
    initial_preferred[n] = preferred_product(model.W, model.Y0.col(n));
  }
  for (int n = 0; n < model.users; ++n) ++initial_counts[initial_preferred[n]];
}

Replica::Replica(const SharedInputs& shared, bool keep_user_states)
    : shared_(shared), model_(shared.job.model), keep_user_states_(keep_user_states) {
  learner_.resize(model_.dim());
  Y_.resize(model_.product_dim, model_.users);
  preferred_.resize(model_.users);
  counts_.resize(model_.products);
  projection_.resize(model_.product_dim);
  scores_.resize(model_.products);
  context_.resize(model_.dim());
}

void Replica::reset(std::uint64_t index) {
  index_ = index;
  stream_ = RandomStream(shared_.job.run.seed, index, Stream::step);
  learner_.reset(model_.schedule, model_.zeta);
  Y_ = model_.Y0;
  track_preferences_ = false;
  preferred_ = shared_.initial_preferred;
  counts_ = shared_.initial_counts;
}

void Replica::recompute_preferences() {
  counts_.setZero();
  for (int n = 0; n < model_.users; ++n) {
    preferred_[n] = preferred_product(model_.W, Y_.col(n));
    ++counts_[preferred_[n]];
  }
}

void Replica::step(std::uint64_t t) {
  const double reward = observe(t, learner_.theta().data());
  learner_.update(context_.data(), reward);
  move_user(t);
}

StepDraws Replica::draw(std::uint64_t t) const {
  const RandomBlock bits = stream_.block(t);
  StepDraws draws = draw_without_noise(bits[0], bits[1]);
  if (model_.sigma > 0) draws.noise = to_normal(bits[2], bits[3]);
  return draws;
}

double Replica::reward(std::uint64_t t, int n, int k, double noise) {
  double value = model_.W.col(k).dot(Y_.col(n));
  if (model_.sigma > 0) value += model_.sigma * noise;
  if (!std::isfinite(value)) throw NumericalFault(index_, t, "the reward", value);
  last_arrival_ = n;
  last_product_ = k;
  last_reward_ = value;
  return value;
}

int Replica::choose_product(std::uint64_t t, const double* theta, const double* v,
                            double choice) {
  const int q = model_.product_dim;
  const int K = model_.products;
  kernels::project(theta, v, model_.user_dim, q, model_.a, projection_.data());
  const double top = kernels::score_transposed(shared_.products_by_row.data(), q, K,
                                               projection_.data(), scores_.data());
  if (!std::isfinite(top)) throw NumericalFault(index_, t, "the largest softmax score", top);
  const double total = kernels::softmax_weights(scores_.data(), K, top);
  if (!std::isfinite(total)) throw NumericalFault(index_, t, "the sum of softmax weights", total);
  return static_cast<int>(kernels::draw_index(scores_.data(), K, choice * total));
}

double Replica::observe(std::uint64_t t, const double* theta) {
  const int p = model_.user_dim;
  const int q = model_.product_dim;

  // 1. Arrival.
  const StepDraws draws = draw(t);
  const int n = draws.arrival;
  const double* v = model_.V.col(n).data();

  // 2. Scores a * w_k^T Theta v_n and the softmax draw.
  const int k = choose_product(t, theta, v, draws.choice);

  // 3. Reward.
  const double value = reward(t, n, k, draws.noise);

  // 4. The learner's context C = v_n (x) w_k.
  const double* w = model_.W.col(k).data();
  double* context = context_.data();
  for (int i = 0; i < p; ++i) {
    for (int j = 0; j < q; ++j) context[i * q + j] = v[i] * w[j];
  }
  return value;
}

// 5. The arriving user moves toward the recommended product.
void Replica::move_user(std::uint64_t t) {
  const int n = last_arrival_;
  const double* w = model_.W.col(last_product_).data();
  const double beta = model_.schedule.user_step(t);
  for (int j = 0; j < model_.product_dim; ++j) Y_(j, n) += beta * (w[j] - Y_(j, n));

  if (track_preferences_) {
    const int now = preferred_product(model_.W, Y_.col(n));
    if (now != preferred_[n]) {
      --counts_[preferred_[n]];
      ++counts_[now];
      preferred_[n] = now;
    }
  }
}

void Replica::record_checkpoint(std::size_t checkpoint, ReplicaRecord& record,
                                const Eigen::VectorXd& theta, double loss) const {
  const auto c = static_cast<Eigen::Index>(checkpoint);
  if (!theta.allFinite()) {
    throw NumericalFault(index_, shared_.job.run.checkpoints[checkpoint], "theta",
                         theta.sum());
  }
  record.preference_counts.col(c) = counts_;
  const PopulationStatistics stats = population_statistics(model_, Y_, theta, counts_);
  record.dispersion[c] = stats.dispersion;
  record.residual[c] = stats.residual;
  record.drift[c] = stats.drift;
  record.gini[c] = stats.gini;
  record.entropy[c] = stats.entropy;
  record.loss[c] = loss;
  record.theta.col(c) = theta;
  if (keep_user_states_) {
    const std::size_t size = static_cast<std::size_t>(Y_.size());
    std::copy(Y_.data(), Y_.data() + size, record.user_states.begin() + checkpoint * size);
  }
}

void Replica::prepare_record(std::uint64_t index, ReplicaRecord& record) const {
  const auto T = static_cast<Eigen::Index>(shared_.job.run.checkpoints.size());
  record.replica = index;
  record.preference_counts.resize(model_.products, T);
  for (auto* series : {&record.dispersion, &record.residual, &record.loss, &record.drift,
                       &record.gini, &record.entropy}) {
    series->resize(T);
  }
  record.theta.resize(model_.dim(), T);
  record.user_states.assign(keep_user_states_ ? static_cast<std::size_t>(T * Y_.size()) : 0, 0.0);
}

// Keeps the preferred products current in each step only when that is cheaper
// than recomputing all N of them at the checkpoint.
void Replica::begin_interval(std::size_t checkpoint) {
  const auto& checkpoints = shared_.job.run.checkpoints;
  const std::uint64_t interval = checkpoints[checkpoint] - checkpoints[checkpoint - 1];
  track_preferences_ = interval < static_cast<std::uint64_t>(model_.users);
}

void Replica::end_interval(std::size_t checkpoint, ReplicaRecord& record,
                           const Eigen::VectorXd& theta, double loss) {
  if (!track_preferences_) recompute_preferences();
  if (!Y_.allFinite()) {
    throw NumericalFault(index_, shared_.job.run.checkpoints[checkpoint], "a user state",
                         Y_.sum());
  }
  record_checkpoint(checkpoint, record, theta, loss);
}

void Replica::run(std::uint64_t index, ReplicaRecord& record, const std::atomic<bool>& stop,
                  const StepReporter& report_steps) {
  const auto& checkpoints = shared_.job.run.checkpoints;
  prepare_record(index, record);
  reset(index);
  record_checkpoint(0, record, learner_.theta(), learner_.loss());

  std::uint64_t unreported = 0;
  for (std::size_t c = 1; c < checkpoints.size(); ++c) {
    begin_interval(c);
    for (std::uint64_t t = checkpoints[c - 1]; t < checkpoints[c]; ++t) {
      step(t);
      if (++unreported == kReportInterval) {
        report_steps(unreported);
        unreported = 0;
        if (stop.load(std::memory_order_relaxed)) throw RunStopped();
      }
    }
    end_interval(c, record, learner_.theta(), learner_.loss());
  }
  report_steps(unreported);
}

}  // namespace loopmc
