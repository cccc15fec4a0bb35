#pragma once
// The random streams of packs of replicas at once: Philox4x64-10 computed in
// every lane of a vector, one replica's stream per lane, bit for bit as
// RandomStream computes it. It is the same integer arithmetic (Random123's
// rounds and constants), only with the 64 x 64 -> 128-bit products assembled
// from 32-bit ones, since AVX-512 has no wider multiply.

#include "loopmc/pack.hpp"
#include "loopmc/rng.hpp"

#include <cstdint>

namespace loopmc {

// Lanes of 64-bit words.
using LaneWords = std::uint64_t __attribute__((vector_size(kLanes * sizeof(std::uint64_t))));

// The four words of a Philox block in every lane.
struct LaneBlock {
  LaneWords word[4];
};

namespace philox_lanes {

// Computes the low and high halves of the 128-bit products a * factor, lane
// by lane.
inline void multiply_wide(LaneWords a, std::uint64_t factor, LaneWords& low, LaneWords& high) {
  low = a * factor;
#if defined(__AVX512F__)
  // The products of the low 32 bits of each lane, 64 bits wide. The masked
  // form with every lane selected avoids the undefined source operand of
  // _mm512_mul_epu32, which GCC 12 warns about.
  const auto product = [](LaneWords x, std::uint64_t y) {
    return reinterpret_cast<LaneWords>(_mm512_maskz_mul_epu32(
        static_cast<__mmask8>(0xff), reinterpret_cast<__m512i>(x),
        _mm512_set1_epi64(static_cast<long long>(y))));
  };
  const LaneWords a_high = a >> 32;
  const std::uint64_t factor_low = factor & 0xffffffffu;
  const std::uint64_t factor_high = factor >> 32;
  const LaneWords low_low = product(a, factor_low);
  const LaneWords high_low = product(a_high, factor_low);
  const LaneWords low_high = product(a, factor_high);
  const LaneWords high_high = product(a_high, factor_high);
  const LaneWords middle = (low_low >> 32) + (high_low & 0xffffffffu) + (low_high & 0xffffffffu);
  high = high_high + (high_low >> 32) + (low_high >> 32) + (middle >> 32);
#else
  for (int lane = 0; lane < kLanes; ++lane) {
    std::uint64_t lane_high = 0;
    mulhilo64(factor, a[lane], &lane_high);  // Random123's own
    high[lane] = lane_high;
  }
#endif
}

}  // namespace philox_lanes

// Computes block `index` of the streams of Packs packs of replicas: lane l of
// blocks[pack] is RandomStream(seed, replicas[pack][l], purpose).block(index).
// The packs' rounds run interleaved, because each round is a chain of
// dependent multiplies and two chains keep the vector units busy.
template <int Packs>
void philox_blocks(std::uint64_t seed, const LaneWords* replicas, Stream purpose,
                   std::uint64_t index, LaneBlock* blocks) {
  constexpr int kRounds = philox4x64_rounds;  // those of r123::Philox4x64
  LaneWords counter[Packs][4];
  LaneWords key[Packs][2];
  for (int pack = 0; pack < Packs; ++pack) {
    counter[pack][0] = LaneWords{} + index;
    counter[pack][1] = LaneWords{} + static_cast<std::uint64_t>(purpose);
    counter[pack][2] = LaneWords{};
    counter[pack][3] = LaneWords{};
    key[pack][0] = LaneWords{} + seed;
    key[pack][1] = replicas[pack];
  }

  for (int round = 0; round < kRounds; ++round) {
    for (int pack = 0; pack < Packs; ++pack) {
      LaneWords* words = counter[pack];
      if (round > 0) {
        key[pack][0] += PHILOX_W64_0;
        key[pack][1] += PHILOX_W64_1;
      }
      LaneWords low0, high0, low1, high1;
      philox_lanes::multiply_wide(words[0], PHILOX_M4x64_0, low0, high0);
      philox_lanes::multiply_wide(words[2], PHILOX_M4x64_1, low1, high1);
      words[0] = high1 ^ words[1] ^ key[pack][0];
      words[1] = low1;
      words[2] = high0 ^ words[3] ^ key[pack][1];
      words[3] = low0;
    }
  }

  for (int pack = 0; pack < Packs; ++pack) {
    for (int w = 0; w < 4; ++w) blocks[pack].word[w] = counter[pack][w];
  }
}

}  // namespace loopmc
