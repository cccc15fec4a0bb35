// The per-step random draws: the alias-method arrival (one Philox block and
// one table lookup, over N users), and the Philox blocks alone, one replica at
// a time against two packs of replicas at once (per replica).

#include "loopmc/alias_table.hpp"
#include "loopmc/lane_streams.hpp"
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

void BM_PhiloxReplica(benchmark::State& state) {
  const loopmc::RandomStream stream(1, 0, loopmc::Stream::step);
  std::uint64_t t = 0;
  for (auto _ : state) benchmark::DoNotOptimize(stream.block(t++));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PhiloxReplica);

void BM_PhiloxLockstep(benchmark::State& state) {
  loopmc::LaneWords replicas[2];
  for (int lane = 0; lane < loopmc::kLanes; ++lane) {
    replicas[0][lane] = static_cast<std::uint64_t>(lane);
    replicas[1][lane] = static_cast<std::uint64_t>(lane + loopmc::kLanes);
  }
  loopmc::LaneBlock blocks[2];
  std::uint64_t t = 0;
  for (auto _ : state) {
    loopmc::philox_blocks<2>(1, replicas, loopmc::Stream::step, t++, blocks);
    benchmark::DoNotOptimize(blocks);
  }
  state.SetItemsProcessed(state.iterations() * 2 * loopmc::kLanes);
}
BENCHMARK(BM_PhiloxLockstep);

}  // namespace
