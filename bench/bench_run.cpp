// Whole runs of 64 replicas at 1 and 2 threads, as the runner schedules them:
// threads take work dynamically, either one replica at a time (Replica::run)
// or one lockstep batch of up to ReplicaBatch::kMaxReplicas replicas (ReplicaBatch::run). Items are
// replica-steps. Checkpoints and their statistics are included.

#include "bench_support.hpp"
#include "loopmc/replica.hpp"
#include "loopmc/replica_batch.hpp"

#include <benchmark/benchmark.h>
#include <omp.h>

#include <atomic>
#include <vector>

namespace {

constexpr int kReplicas = 64;

// Steps per replica, so that one run takes a fraction of a second.
std::uint64_t steps_for(int d) {
  if (d <= 25) return 20000;
  if (d <= 100) return 2000;
  return 200;
}

loopmc::Job job_for(const benchmark::State& state) {
  const int d = static_cast<int>(state.range(0));
  return loopmc::bench::sized_job(d, static_cast<int>(state.range(1)), 100, "constant",
                                  steps_for(d), kReplicas);
}

void BM_RunReplicas(benchmark::State& state) {
  const loopmc::Job job = job_for(state);
  const loopmc::SharedInputs shared(job);
  const int threads = static_cast<int>(state.range(2));
  const std::atomic<bool> stop{false};
  for (auto _ : state) {
#pragma omp parallel num_threads(threads)
    {
      loopmc::Replica replica(shared, false);
      loopmc::ReplicaRecord record;
#pragma omp for schedule(dynamic, 1)
      for (int r = 0; r < kReplicas; ++r) {
        replica.run(static_cast<std::uint64_t>(r), record, stop, [](std::uint64_t) {});
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * kReplicas * static_cast<std::int64_t>(job.run.steps));
}

void BM_RunLockstep(benchmark::State& state) {
  const loopmc::Job job = job_for(state);
  const loopmc::SharedInputs shared(job);
  const int threads = static_cast<int>(state.range(2));
  std::vector<std::uint64_t> indices(kReplicas);
  for (std::size_t r = 0; r < indices.size(); ++r) indices[r] = r;
  const auto plan = loopmc::plan_batches(
      indices, threads, loopmc::ReplicaBatch::max_replicas(job.model.dim()));
  const auto batches = static_cast<int>(plan.size());
  const std::atomic<bool> stop{false};
  for (auto _ : state) {
#pragma omp parallel num_threads(threads)
    {
      loopmc::ReplicaBatch batch(shared, false);
      std::vector<loopmc::ReplicaRecord> records(loopmc::ReplicaBatch::kMaxReplicas);
#pragma omp for schedule(dynamic, 1)
      for (int b = 0; b < batches; ++b) {
        batch.run(plan[static_cast<std::size_t>(b)], records, stop, [](std::uint64_t) {});
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * kReplicas * static_cast<std::int64_t>(job.run.steps));
}

void sizes(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgNames({"d", "K", "threads"})->UseRealTime()->Unit(benchmark::kMillisecond);
  for (const auto& [d, K] : {std::pair{6, 3}, {25, 10}, {100, 1000}}) {
    for (int threads : {1, 2}) benchmark->Args({d, K, threads});
  }
}

BENCHMARK(BM_RunReplicas)->Apply(sizes);
BENCHMARK(BM_RunLockstep)->Apply(sizes);

}  // namespace
