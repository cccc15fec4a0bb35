// Scores a * W^T (Theta v_n) for one arriving user, O(pq + qK): one replica
// (score_transposed, vectorised over products) and kLanes replicas in lockstep
// (score, one replica per lane, different users). Items are replica-steps.

#include "bench_support.hpp"
#include "loopmc/step_kernels.hpp"

#include <benchmark/benchmark.h>

#include <type_traits>
#include <vector>

namespace {

template <class T>
void score_loop(benchmark::State& state, int lanes) {
  const loopmc::Job job = loopmc::bench::sized_job(static_cast<int>(state.range(0)),
                                                   static_cast<int>(state.range(1)), 100);
  const loopmc::Model& model = job.model;
  const int p = model.user_dim;
  const int q = model.product_dim;
  std::vector<T> theta(static_cast<std::size_t>(model.dim()));
  for (std::size_t i = 0; i < theta.size(); ++i) theta[i] = T{} + 0.01 * static_cast<double>(i % 7);
  std::vector<T> users(static_cast<std::size_t>(p));
  std::vector<T> projection(static_cast<std::size_t>(q));
  std::vector<T> scores(static_cast<std::size_t>(model.products));
  const Eigen::MatrixXd W_transposed = model.W.transpose();
  int n = 0;
  for (auto _ : state) {
    for (int i = 0; i < p; ++i) users[i] = T{} + model.V(i, n);
    loopmc::kernels::project(theta.data(), users.data(), p, q, model.a, projection.data());
    if constexpr (std::is_same_v<T, double>) {
      benchmark::DoNotOptimize(loopmc::kernels::score_transposed(
          W_transposed.data(), q, model.products, projection.data(), scores.data()));
    } else {
      benchmark::DoNotOptimize(loopmc::kernels::score(model.W.data(), q, model.products,
                                                      projection.data(), scores.data()));
    }
    n = (n + 1) % model.users;
  }
  state.SetItemsProcessed(state.iterations() * lanes);
}

void BM_ScoresScalar(benchmark::State& state) { score_loop<double>(state, 1); }
void BM_ScoresLockstep(benchmark::State& state) {
  score_loop<loopmc::Pack>(state, loopmc::kLanes);
}

BENCHMARK(BM_ScoresScalar)->ArgNames({"d", "K"})
    ->Args({6, 3})->Args({25, 10})->Args({100, 1000})->Args({400, 10000});
BENCHMARK(BM_ScoresLockstep)->ArgNames({"d", "K"})
    ->Args({6, 3})->Args({25, 10})->Args({100, 1000})->Args({400, 10000});

}  // namespace
