// One whole replica-step: Replica::step (one replica), ReplicaBatch::step
// (replicas in lockstep, one pack of kLanes or two packs, timed per
// replica-step), and the naive baseline step that refactors the dense S every
// step.

#include "bench_support.hpp"
#include "loopmc/replica.hpp"
#include "loopmc/replica_batch.hpp"
#include "loopmc/step_kernels.hpp"

#include <benchmark/benchmark.h>

#include <vector>

namespace {

loopmc::Job job_for(const benchmark::State& state) {
  return loopmc::bench::sized_job(static_cast<int>(state.range(0)),
                                  static_cast<int>(state.range(1)), 100);
}

void BM_StepReplica(benchmark::State& state) {
  const loopmc::Job job = job_for(state);
  const loopmc::SharedInputs shared(job);
  loopmc::Replica replica(shared, false);
  replica.reset(0);
  std::uint64_t t = 0;
  for (auto _ : state) replica.step(t++);
  state.SetItemsProcessed(state.iterations());
}

template <int Packs>
void BM_StepLockstep(benchmark::State& state) {
  const loopmc::Job job = job_for(state);
  const loopmc::SharedInputs shared(job);
  loopmc::ReplicaBatch batch(shared, false);
  std::vector<std::uint64_t> indices(Packs * loopmc::kLanes);
  for (std::size_t l = 0; l < indices.size(); ++l) indices[l] = l;
  batch.reset(indices);
  std::uint64_t t = 0;
  for (auto _ : state) batch.step(t++);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(indices.size()));
}

// The same step as Replica::step, with NaiveLearner in place of the
// Cholesky-factor learner (constant schedule weights omitted: they do not
// change the cost).
void BM_StepNaive(benchmark::State& state) {
  const loopmc::Job job = job_for(state);
  const loopmc::SharedInputs shared(job);
  const loopmc::Model& model = job.model;
  loopmc::bench::NaiveLearner learner(model.dim(), model.zeta);
  Eigen::MatrixXd Y = model.Y0;
  Eigen::VectorXd projection(model.product_dim);
  Eigen::VectorXd scores(model.products);
  Eigen::VectorXd context(model.dim());
  const loopmc::RandomStream stream(1, 0, loopmc::Stream::step);
  std::uint64_t t = 0;
  for (auto _ : state) {
    const loopmc::RandomBlock bits = stream.block(t);
    const int n = static_cast<int>(shared.arrivals.sample(loopmc::to_uniform(bits[0])));
    loopmc::kernels::project(learner.theta().data(), model.V.col(n).data(), model.user_dim,
                             model.product_dim, model.a, projection.data());
    const double top =
        loopmc::kernels::score_transposed(shared.products_by_row.data(), model.product_dim,
                                          model.products, projection.data(), scores.data());
    const double total = loopmc::kernels::softmax_weights(scores.data(), model.products, top);
    const auto k = static_cast<int>(loopmc::kernels::draw_index(
        scores.data(), model.products, loopmc::to_uniform(bits[1]) * total));
    const double reward = model.W.col(k).dot(Y.col(n)) +
                          model.sigma * loopmc::to_normal(bits[2], bits[3]);
    for (int i = 0; i < model.user_dim; ++i) {
      context.segment(i * model.product_dim, model.product_dim) = model.V(i, n) * model.W.col(k);
    }
    learner.update(context, reward);
    Y.col(n) += model.schedule.user_step(t) * (model.W.col(k) - Y.col(n));
    ++t;
  }
  state.SetItemsProcessed(state.iterations());
}

void sizes(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgNames({"d", "K"})
      ->Args({6, 3})->Args({25, 10})->Args({25, 1000})->Args({100, 10})->Args({100, 1000})
      ->Args({400, 10000});
}

BENCHMARK(BM_StepReplica)->Apply(sizes);
BENCHMARK(BM_StepLockstep<1>)->Apply(sizes);
BENCHMARK(BM_StepLockstep<2>)->Apply(sizes);
BENCHMARK(BM_StepNaive)->Apply(sizes);

}  // namespace
