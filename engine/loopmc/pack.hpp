#pragma once
// A pack of kLanes doubles, one replica per lane, as a GCC/Clang vector type.
// Arithmetic on a pack is element-wise IEEE arithmetic, so each lane rounds
// exactly as the same scalar expression does. Kernels written as templates
// over T = double and T = Pack therefore give one lane the bits of one replica
// run alone.
//
// The vector type rather than std::experimental::simd: GCC 12 compiles the
// rotation's inner loop over fixed_size_simd<double, 8> with copies of its
// operands through the stack, which makes stores the bottleneck. The vector
// type runs the same kernel 1.6 times as fast with the same results.

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace loopmc {

// Replicas per lockstep batch: one 512-bit vector of doubles.
inline constexpr int kLanes = 8;

// A vector of `Lanes` doubles. Pack is the width the engine uses. Other widths
// serve the benchmarks that weigh narrower and wider batches.
template <int Lanes>
struct DoubleVectorOf {
  typedef double type __attribute__((vector_size(Lanes * sizeof(double))));
};
template <int Lanes>
using DoubleVector = typename DoubleVectorOf<Lanes>::type;

using Pack = DoubleVector<kLanes>;
// Lane masks (all bits set where a comparison holds) and lane indices.
using LaneIntegers = std::int64_t __attribute__((vector_size(kLanes * sizeof(std::int64_t))));

inline Pack broadcast(double value) { return Pack{} + value; }

inline Pack load_pack(const double* values) {
  Pack pack;
  std::memcpy(&pack, values, sizeof(pack));
  return pack;
}

// values[offsets[lane]] in the first `lanes` lanes (at most kLanes), 0 in
// the others. One gather, where filling a pack lane by lane in memory and
// then reading it whole would stall on store forwarding.
inline Pack gather(const double* values, LaneIntegers offsets, int lanes) {
#if defined(__AVX512F__)
  const auto selected = static_cast<__mmask8>((1u << lanes) - 1u);
  return reinterpret_cast<Pack>(_mm512_mask_i64gather_pd(
      _mm512_setzero_pd(), selected, reinterpret_cast<__m512i>(offsets), values, sizeof(double)));
#else
  Pack result{};
  for (int lane = 0; lane < lanes; ++lane) result[lane] = values[offsets[lane]];
  return result;
#endif
}

// Square roots, correctly rounded, for a scalar and for each lane of a pack.
inline double root(double x) { return std::sqrt(x); }

inline Pack root(Pack x) {
#if defined(__AVX512F__)
  // The masked form with every lane selected is _mm512_sqrt_pd without its
  // undefined source operand, which GCC 12 warns about.
  const auto value = reinterpret_cast<__m512d>(x);
  return reinterpret_cast<Pack>(_mm512_mask_sqrt_pd(value, static_cast<__mmask8>(0xff), value));
#else
  for (int lane = 0; lane < kLanes; ++lane) x[lane] = std::sqrt(x[lane]);
  return x;
#endif
}

// Square roots of a vector of another width, a Pack at a time where it divides.
template <class Vector>
Vector root(Vector x) {
  constexpr int lanes = static_cast<int>(sizeof(Vector) / sizeof(double));
  if constexpr (lanes % kLanes == 0) {
    for (int first = 0; first < lanes; first += kLanes) {
      Pack part;
      std::memcpy(&part, reinterpret_cast<double*>(&x) + first, sizeof(part));
      part = root(part);
      std::memcpy(reinterpret_cast<double*>(&x) + first, &part, sizeof(part));
    }
  } else {
    for (int lane = 0; lane < lanes; ++lane) x[lane] = std::sqrt(x[lane]);
  }
  return x;
}

}  // namespace loopmc
