// Softmax weights exp(score - max) and the inverse-CDF draw over K scores: one
// replica (scalar) and kLanes replicas in lockstep (one per lane, with
// different scores and uniforms). Items are replica-steps.

#include "loopmc/rng.hpp"
#include "loopmc/step_kernels.hpp"

#include <benchmark/benchmark.h>

#include <vector>

namespace {

template <class T>
void softmax_loop(benchmark::State& state, int lanes) {
  const auto K = static_cast<int>(state.range(0));
  const loopmc::RandomStream stream(1, 0, loopmc::Stream::step);
  // Scores uniform on [-4, 4), different in every lane.
  std::vector<T> scores(static_cast<std::size_t>(K));
  for (int k = 0; k < K; ++k) {
    const loopmc::RandomBlock bits = stream.block(static_cast<std::uint64_t>(k));
    for (int lane = 0; lane < lanes; ++lane) {
      reinterpret_cast<double*>(&scores[k])[lane] = 8.0 * loopmc::to_uniform(bits[lane % 4]) - 4.0;
    }
  }
  std::vector<T> weights(scores.size());
  T top = scores[0];
  for (const T& score : scores) top = score > top ? score : top;
  std::uint64_t t = 0;
  for (auto _ : state) {
    weights = scores;
    const T total = loopmc::kernels::softmax_weights(weights.data(), K, top);
    T target{};
    const loopmc::RandomBlock bits = stream.block(1u << 30 | t++);
    for (int lane = 0; lane < lanes; ++lane) {
      reinterpret_cast<double*>(&target)[lane] =
          loopmc::to_uniform(bits[lane % 4]) * reinterpret_cast<const double*>(&total)[lane];
    }
    benchmark::DoNotOptimize(loopmc::kernels::draw_index(weights.data(), K, target));
  }
  state.SetItemsProcessed(state.iterations() * lanes);
}

void BM_SoftmaxDrawScalar(benchmark::State& state) { softmax_loop<double>(state, 1); }
void BM_SoftmaxDrawLockstep(benchmark::State& state) {
  softmax_loop<loopmc::Pack>(state, loopmc::kLanes);
}

BENCHMARK(BM_SoftmaxDrawScalar)->ArgName("K")->Arg(3)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_SoftmaxDrawLockstep)->ArgName("K")->Arg(3)->Arg(10)->Arg(1000)->Arg(10000);

}  // namespace
