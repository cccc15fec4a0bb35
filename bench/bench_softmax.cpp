// Stable softmax (Eigen's vectorised exp) and the inverse-CDF draw over K scores.

#include "loopmc/replica.hpp"
#include "loopmc/rng.hpp"

#include <benchmark/benchmark.h>

namespace {

void BM_SoftmaxDraw(benchmark::State& state) {
  const auto K = static_cast<Eigen::Index>(state.range(0));
  const Eigen::VectorXd scores = 4.0 * Eigen::VectorXd::Random(K);
  Eigen::ArrayXd weights(K);
  const loopmc::RandomStream stream(1, 0, loopmc::Stream::step);
  std::uint64_t t = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(loopmc::softmax_weights(scores, weights));
    const double uniform = loopmc::to_uniform(stream.block(t++)[1]);
    benchmark::DoNotOptimize(loopmc::draw_index(weights, uniform));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SoftmaxDraw)->ArgName("K")->Arg(3)->Arg(10)->Arg(1000)->Arg(10000);

}  // namespace
