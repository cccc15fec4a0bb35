// Replicas run in lockstep SIMD batches against the same replicas run alone:
// every recorded value must match bit for bit, whichever replicas share a batch.

#include "loopmc/job.hpp"
#include "loopmc/replica.hpp"
#include "loopmc/replica_batch.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

using loopmc::Job;
using loopmc::ReplicaBatch;
using loopmc::ReplicaRecord;

namespace {

// d = 6, K products (4 unless given), sigma > 0, arrivals not uniform,
// checkpoints closer than N steps and farther, so both ways of keeping
// preference counts run.
Job small_job(const std::string& schedule, int products = 4) {
  const std::string text = R"(
[model]
a = 3.0
zeta = 0.01
sigma = 0.3
[users]
count = 7
dim = 3
arrival = [0.05, 0.1, 0.15, 0.2, 0.25, 0.15, 0.1]
[users.generate]
low = 0.0
high = 1.0
[users.initial_generate]
low = -1.0
high = 1.0
[products]
count = )" + std::to_string(products) + R"(
dim = 2
[products.generate]
low = -1.0
high = 1.0
[horizon]
steps = 3000
[checkpoints]
count = 12
[run]
replicas = 11
seed = 5
[output]
user_states = "all"
)" + schedule;
  return loopmc::parse_job(text, "lockstep test", {});
}

bool same_bits(const Eigen::MatrixXd& left, const Eigen::MatrixXd& right) {
  return left.rows() == right.rows() && left.cols() == right.cols() &&
         std::memcmp(left.data(), right.data(), sizeof(double) * left.size()) == 0;
}

bool same_bits(const std::vector<double>& left, const std::vector<double>& right) {
  return left.size() == right.size() &&
         std::memcmp(left.data(), right.data(), sizeof(double) * left.size()) == 0;
}

ReplicaRecord run_alone(const loopmc::SharedInputs& shared, std::uint64_t index) {
  loopmc::Replica replica(shared, true);
  ReplicaRecord record;
  std::atomic<bool> stop{false};
  replica.run(index, record, stop, [](std::uint64_t) {});
  return record;
}

void check_same_record(const ReplicaRecord& batched, const ReplicaRecord& alone) {
  CHECK(batched.replica == alone.replica);
  CHECK(batched.preference_counts == alone.preference_counts);
  CHECK(same_bits(batched.theta, alone.theta));
  CHECK(same_bits(batched.loss, alone.loss));
  CHECK(same_bits(batched.dispersion, alone.dispersion));
  CHECK(same_bits(batched.residual, alone.residual));
  CHECK(same_bits(batched.drift, alone.drift));
  CHECK(same_bits(batched.gini, alone.gini));
  CHECK(same_bits(batched.entropy, alone.entropy));
  CHECK(same_bits(batched.user_states, alone.user_states));
}

void check_batches_match(const Job& job) {
  const loopmc::SharedInputs shared(job);
  ReplicaBatch batch(shared, true);
  std::atomic<bool> stop{false};
  std::uint64_t reported = 0;
  const auto count_steps = [&](std::uint64_t steps) { reported += steps; };

  // Batches of 1, 3 and 8 replicas (one pack), and of 10, 11 and 16 (two
  // packs, whose back substitutions run interleaved), starting at different
  // indices. Packs of 1 and 2 replicas score them one at a time.
  for (const auto& [first, size] : {std::pair<std::uint64_t, int>{4, 1}, {2, 3}, {0, 8}, {3, 8},
                                    {5, 10}, {1, 11}, {0, 16}}) {
    CAPTURE(first);
    CAPTURE(size);
    std::vector<std::uint64_t> indices;
    for (int l = 0; l < size; ++l) indices.push_back(first + static_cast<std::uint64_t>(l));
    std::vector<ReplicaRecord> records(static_cast<std::size_t>(size));
    reported = 0;
    batch.run(indices, records, stop, count_steps);
    CHECK(reported == job.run.steps * static_cast<std::uint64_t>(size));
    for (int l = 0; l < size; ++l) {
      CAPTURE(l);
      check_same_record(records[static_cast<std::size_t>(l)],
                        run_alone(shared, first + static_cast<std::uint64_t>(l)));
    }
  }
}

}  // namespace

TEST_CASE("lockstep batch matches replicas alone, harmonic") {
  check_batches_match(small_job("[schedule]\nkind = \"harmonic\"\nt0 = 2.0\n"));
}

TEST_CASE("lockstep batch matches replicas alone, constant") {
  // gamma = 0.1 drives kappa below 2^-200 after about 1300 steps, so the
  // rescaling runs inside the horizon.
  check_batches_match(small_job("[schedule]\nkind = \"constant\"\ngamma = 0.1\n"));
}

TEST_CASE("lockstep batch matches replicas alone, eleven products") {
  // K = 11 runs the score and softmax kernels' groups of four and their tails.
  check_batches_match(small_job("[schedule]\nkind = \"harmonic\"\nt0 = 2.0\n", 11));
}

TEST_CASE("batch plan covers every replica once") {
  std::vector<std::uint64_t> indices;
  for (std::uint64_t r = 0; r < 21; r += 1) indices.push_back(r * 2);
  for (int batch_size : {loopmc::kLanes, ReplicaBatch::kMaxReplicas}) {
    for (int threads : {1, 2, 3, 8, 40}) {
      CAPTURE(batch_size);
      CAPTURE(threads);
      const auto plan = loopmc::plan_batches(indices, threads, batch_size);
      std::vector<std::uint64_t> covered;
      for (const auto& batch : plan) {
        CHECK(!batch.empty());
        CHECK(batch.size() <= static_cast<std::size_t>(batch_size));
        covered.insert(covered.end(), batch.begin(), batch.end());
      }
      CHECK(covered == indices);
      const std::size_t fewest = (indices.size() + batch_size - 1) / batch_size;
      CHECK(plan.size() == std::min(indices.size(),
                                    std::max(fewest, static_cast<std::size_t>(threads))));
    }
  }
}

TEST_CASE("lockstep single steps match replica steps") {
  const Job job = small_job("[schedule]\nkind = \"constant\"\ngamma = 0.05\n");
  const loopmc::SharedInputs shared(job);
  ReplicaBatch batch(shared, false);
  const std::vector<std::uint64_t> indices = {6, 1, 9};
  batch.reset(indices);
  std::vector<loopmc::Replica> alone;
  for (std::uint64_t index : indices) {
    alone.emplace_back(shared, false);
    alone.back().reset(index);
  }
  for (std::uint64_t t = 0; t < 500; ++t) {
    batch.step(t);
    for (std::size_t l = 0; l < indices.size(); ++l) {
      alone[l].step(t);
      const int lane = static_cast<int>(l);
      REQUIRE(batch.lane(lane).last_product() == alone[l].last_product());
      REQUIRE(same_bits(batch.theta(lane), alone[l].learner().theta()));
      REQUIRE(batch.loss(lane) == alone[l].learner().loss());
    }
  }
}
