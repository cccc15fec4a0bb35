// Scores a * W^T (Theta v_n) for one arriving user: O(pq + qK).

#include "bench_support.hpp"
#include "loopmc/replica.hpp"

#include <benchmark/benchmark.h>

namespace {

void BM_Scores(benchmark::State& state) {
  const loopmc::Job job = loopmc::bench::sized_job(static_cast<int>(state.range(0)),
                                                   static_cast<int>(state.range(1)), 100);
  const loopmc::SharedInputs shared(job);
  const loopmc::Model& model = job.model;
  const Eigen::VectorXd theta = Eigen::VectorXd::Random(model.dim());
  Eigen::VectorXd projection(model.product_dim);
  Eigen::VectorXd scores(model.products);
  int n = 0;
  for (auto _ : state) {
    loopmc::score_products(model, shared.products_by_row, theta.data(), model.V.col(n).data(),
                           projection, scores);
    benchmark::DoNotOptimize(scores.data());
    n = (n + 1) % model.users;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Scores)->ArgNames({"d", "K"})
    ->Args({6, 3})->Args({25, 10})->Args({100, 1000})->Args({400, 10000});

}  // namespace
