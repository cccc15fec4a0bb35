// The lockstep random streams and the lane gather. Every lane of
// philox_blocks must equal RandomStream::block of that lane's replica bit for
// bit, for one and two packs, at the edges of the seed, replica and counter
// ranges.

#include "loopmc/lane_streams.hpp"
#include "loopmc/pack.hpp"
#include "loopmc/rng.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

using loopmc::kLanes;
using loopmc::LaneBlock;
using loopmc::LaneWords;

namespace {

constexpr std::uint64_t kAllOnes = ~std::uint64_t{0};

// Words of block `index` that differ from RandomStream's, over all lanes of
// `packs` packs.
template <int Packs>
int differing_words(std::uint64_t seed, const LaneWords (&replicas)[Packs], std::uint64_t index) {
  LaneBlock blocks[Packs];
  loopmc::philox_blocks<Packs>(seed, replicas, loopmc::Stream::step, index, blocks);
  int differing = 0;
  for (int pack = 0; pack < Packs; ++pack) {
    for (int lane = 0; lane < kLanes; ++lane) {
      const loopmc::RandomStream stream(seed, replicas[pack][lane], loopmc::Stream::step);
      const loopmc::RandomBlock expected = stream.block(index);
      for (int w = 0; w < 4; ++w) {
        if (blocks[pack].word[w][lane] != expected[w]) ++differing;
      }
    }
  }
  return differing;
}

}  // namespace

TEST_CASE("Philox lanes equal RandomStream blocks") {
  // Replica indices with every bit pattern class in some lane: 0, small,
  // large, all ones, and products that carry across the 32-bit halves.
  LaneWords replicas[2];
  for (int lane = 0; lane < kLanes; ++lane) {
    replicas[0][lane] = static_cast<std::uint64_t>(lane);
    replicas[1][lane] = static_cast<std::uint64_t>(lane + 1) * 0x9E3779B97F4A7C15u;
  }
  replicas[1][kLanes - 1] = kAllOnes;

  int differing = 0;
  for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{3}, kAllOnes,
                                   std::uint64_t{0x0123456789abcdef}}) {
    for (const std::uint64_t index : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{999999},
                                      std::uint64_t{1} << 63, kAllOnes}) {
      differing += differing_words<2>(seed, replicas, index);
      const LaneWords second[1] = {replicas[1]};
      differing += differing_words<1>(seed, second, index);
    }
  }
  CHECK(differing == 0);
}

TEST_CASE("Philox lane ignores its neighbours") {
  // The same replica in lane 0 of two packs with different neighbours.
  LaneWords alone[1] = {LaneWords{} + 7};
  LaneWords mixed[1] = {LaneWords{}};
  for (int lane = 0; lane < kLanes; ++lane) mixed[0][lane] = 100 + static_cast<std::uint64_t>(lane);
  mixed[0][0] = 7;
  LaneBlock first[1];
  LaneBlock second[1];
  loopmc::philox_blocks<1>(5, alone, loopmc::Stream::step, 42, first);
  loopmc::philox_blocks<1>(5, mixed, loopmc::Stream::step, 42, second);
  for (int w = 0; w < 4; ++w) CHECK(first[0].word[w][0] == second[0].word[w][0]);
}

TEST_CASE("gather zeroes unused lanes") {
  std::vector<double> values(40);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.5 + static_cast<double>(i);
  loopmc::LaneIntegers offsets;
  for (int lane = 0; lane < kLanes; ++lane) offsets[lane] = 39 - 5 * lane;

  for (int used = 1; used <= kLanes; ++used) {
    CAPTURE(used);
    const loopmc::Pack pack = loopmc::gather(values.data(), offsets, used);
    for (int lane = 0; lane < used; ++lane) {
      CHECK(pack[lane] == values[static_cast<std::size_t>(offsets[lane])]);
    }
    for (int lane = used; lane < kLanes; ++lane) CHECK(pack[lane] == 0.0);
  }
}
