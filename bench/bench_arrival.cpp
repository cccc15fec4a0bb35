// Alias-method arrival draw: one Philox block and one table lookup, over N users.

#include "loopmc/alias_table.hpp"
#include "loopmc/rng.hpp"

#include <benchmark/benchmark.h>

#include <vector>

namespace {

void BM_ArrivalDraw(benchmark::State& state) {
  const auto users = static_cast<std::size_t>(state.range(0));
  std::vector<double> weights(users);
  for (std::size_t n = 0; n < users; ++n) weights[n] = 1.0 + static_cast<double>(n % 7);
  const loopmc::AliasTable table(weights);
  const loopmc::RandomStream stream(1, 0, loopmc::Stream::step);
  std::uint64_t t = 0;
  for (auto _ : state) {
    const auto bits = stream.block(t++);
    benchmark::DoNotOptimize(table.sample(loopmc::to_uniform(bits[0])));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ArrivalDraw)->Arg(100)->Arg(10000)->Arg(1000000);

}  // namespace
