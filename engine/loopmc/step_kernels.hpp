#pragma once
// The recommender's per-step kernels: scores, softmax weights and the softmax
// draw. Like the learner's kernels, each is written once for a scalar
// (T = double, one replica) and for a pack (T = Pack, one replica per lane),
// so a lane computes the bits of the same replica run alone.
//
// Only the drawn index leaves these kernels. Rounding in the scores, the
// exponentials or the total changes a draw only when the uniform falls within
// a few units in the last place of a boundary of the cumulative weights. So
// these kernels take the summation orders that run fast.

#include "loopmc/pack.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace loopmc::kernels {

// The lane type of indices and comparison masks that goes with T.
template <class T>
struct LanesOf;
template <>
struct LanesOf<double> {
  using Index = std::int64_t;
};
template <>
struct LanesOf<Pack> {
  using Index = LaneIntegers;
};
template <class T>
using IndexOf = typename LanesOf<T>::Index;

// Adding 1.5 * 2^52 to a double of magnitude below 2^51 rounds it to an
// integer, which the low mantissa bits of the sum then contain.
inline constexpr double kRoundToInteger = 0x1.8p52;

// True when a comparison is false in every lane.
inline bool none_set(bool mask) { return !mask; }
inline bool none_set(LaneIntegers mask) {
#if defined(__AVX512F__)
  const auto bits = reinterpret_cast<__m512i>(mask);
  return _mm512_test_epi64_mask(bits, bits) == 0;
#else
  for (int lane = 0; lane < kLanes; ++lane) {
    if (mask[lane] != 0) return false;
  }
  return true;
#endif
}

// 1 where a comparison is true, else 0 (a lane mask is -1 where it is true).
inline std::int64_t count_of(bool mask) { return mask ? 1 : 0; }
inline LaneIntegers count_of(LaneIntegers mask) { return -mask; }

// sum * 2^n for an integer-valued n >= -1077, correctly rounded also where the
// result is subnormal. The scalar form multiplies by two powers of two of
// about n/2, so that both are normal and only the second product rounds.
// AVX-512's vscalefpd rounds sum * 2^n once as well, so both forms give the
// same bits.
inline double scale_by_power_of_two(double sum, double n) {
  // The integer n is read from the mantissa bits of n + kRoundToInteger,
  // because a conversion of a NaN n to an integer would be undefined.
  const std::int64_t exponent = std::bit_cast<std::int64_t>(n + kRoundToInteger) -
                                std::bit_cast<std::int64_t>(kRoundToInteger);
  const std::int64_t upper = exponent >> 1;
  const std::int64_t lower = exponent - upper;
  const auto upper_scale = std::bit_cast<double>((upper + 1023) << 52);
  const auto lower_scale = std::bit_cast<double>((lower + 1023) << 52);
  return (sum * upper_scale) * lower_scale;
}

inline Pack scale_by_power_of_two(Pack sum, Pack n) {
#if defined(__AVX512F__)
  // The masked form with every lane selected avoids the undefined source
  // operand of _mm512_scalef_pd, which GCC 12 warns about.
  const auto value = reinterpret_cast<__m512d>(sum);
  return reinterpret_cast<Pack>(_mm512_mask_scalef_pd(value, static_cast<__mmask8>(0xff), value,
                                                      reinterpret_cast<__m512d>(n)));
#else
  for (int lane = 0; lane < kLanes; ++lane) {
    sum[lane] = scale_by_power_of_two(sum[lane], n[lane]);
  }
  return sum;
#endif
}

// projection = a * Theta v, with Theta the p x q matrix stored row-major in
// theta (theta[i * q + j]); sums run in increasing i.
template <class T>
void project(const T* theta, const T* v, int p, int q, double a, T* projection) {
  for (int j = 0; j < q; ++j) projection[j] = T{};
  for (int i = 0; i < p; ++i) {
    for (int j = 0; j < q; ++j) projection[j] = projection[j] + theta[i * q + j] * v[i];
  }
  for (int j = 0; j < q; ++j) projection[j] = a * projection[j];
}

// The largest of K values; a NaN is passed over unless it comes first.
template <class T>
T largest(const T* values, int K) {
  T top = values[0];
  for (int k = 1; k < K; ++k) top = values[k] > top ? values[k] : top;
  return top;
}

// scores[k] = w_k . projection for the K products, whose attributes are the
// columns of the q x K column-major W shared by all replicas. Returns the
// largest score; a NaN score is passed over here and shows in the total.
// Products go in groups of kGroup, whose sums are independent chains.
template <class T>
T score(const double* W, int q, int K, const T* projection, T* scores) {
  constexpr int kGroup = 4;
  int k = 0;
  for (; k + kGroup <= K; k += kGroup) {
    const double* w = W + static_cast<std::ptrdiff_t>(k) * q;
    T sums[kGroup];
    for (int m = 0; m < kGroup; ++m) sums[m] = w[m * q] * projection[0];
    for (int j = 1; j < q; ++j) {
      for (int m = 0; m < kGroup; ++m) sums[m] = sums[m] + w[m * q + j] * projection[j];
    }
    for (int m = 0; m < kGroup; ++m) scores[k + m] = sums[m];
  }
  for (; k < K; ++k) {
    const double* w = W + static_cast<std::ptrdiff_t>(k) * q;
    T sum = w[0] * projection[0];
    for (int j = 1; j < q; ++j) sum = sum + w[j] * projection[j];
    scores[k] = sum;
  }

  return largest(scores, K);
}

// exp(x) for x <= 0 to within one unit in the last place of glibc's exp,
// including the gradual underflow below exp(-708); NaN stays NaN. A lane
// computes the bits the scalar form computes for its value.
template <class T>
[[gnu::always_inline]] inline T exp_nonpositive(T x) {
  constexpr double kLog2e = 0x1.71547652b82fep0;
  // ln 2 split so that n * kLn2High is exact for |n| < 2^21.
  constexpr double kLn2High = 0x1.62e42feep-1;
  constexpr double kLn2Low = 0x1.a39ef35793c76p-33;

  // x = n ln 2 + r with n an integer and |r| <= ln(2) / 2.
  x = x < -746.0 ? T{} - 746.0 : x;
  const T n = (x * kLog2e + kRoundToInteger) - kRoundToInteger;
  const T r = (x - n * kLn2High) - n * kLn2Low;

  // Taylor series of exp(r) to degree 13 (truncation error below 1e-17),
  // summed by Estrin's scheme: its dependency chain is 9 operations long
  // where Horner's is 26, so several exponentials overlap in the pipeline.
  // The leading 1 is added last, so that the rounding of the other terms is
  // relative to their smaller sum.
  const T r2 = r * r;
  const T r4 = r2 * r2;
  const T r8 = r4 * r4;
  const T t23 = 1.0 / 2.0 + r * (1.0 / 6.0);
  const T t45 = 1.0 / 24.0 + r * (1.0 / 120.0);
  const T t67 = 1.0 / 720.0 + r * (1.0 / 5040.0);
  const T t89 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
  const T t1011 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0);
  const T t1213 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
  const T t1to3 = r + r2 * t23;
  const T t4to7 = t45 + r2 * t67;
  const T t8to11 = t89 + r2 * t1011;
  const T t1to7 = t1to3 + r4 * t4to7;
  const T t8to13 = t8to11 + r4 * t1213;
  const T sum = 1.0 + (t1to7 + r8 * t8to13);

  return scale_by_power_of_two(sum, n);
}

// Turns scores into the softmax weights exp(score - top) in place and returns
// their sum (partial sums by k modulo 4, so that the additions do not form one
// chain).
template <class T>
T softmax_weights(T* scores, int K, T top) {
  T partial[4] = {};
  int k = 0;
  for (; k + 4 <= K; k += 4) {
    for (int m = 0; m < 4; ++m) {
      scores[k + m] = exp_nonpositive(scores[k + m] - top);
      partial[m] = partial[m] + scores[k + m];
    }
  }
  for (; k < K; ++k) {
    scores[k] = exp_nonpositive(scores[k] - top);
    partial[0] = partial[0] + scores[k];
  }
  return (partial[0] + partial[1]) + (partial[2] + partial[3]);
}

// One replica's scores, with the products in place of the lanes:
// scores[k] = w_k . projection from the transposed attributes Wt, the K x q
// column-major matrix whose column j contains attribute j of every product. The
// loops run over k, which vectorises, and each score takes exactly the
// operations of a lane of score().
inline double score_transposed(const double* Wt, int q, int K, const double* projection,
                               double* scores) {
  // Blocks of products small enough that their scores stay in the L1 cache
  // over the q passes.
  constexpr int kBlock = 512;
  for (int begin = 0; begin < K; begin += kBlock) {
    const int end = std::min(begin + kBlock, K);
    for (int k = begin; k < end; ++k) scores[k] = Wt[k] * projection[0];
    for (int j = 1; j < q; ++j) {
      const double* column = Wt + static_cast<std::ptrdiff_t>(j) * K;
      const double factor = projection[j];
      for (int k = begin; k < end; ++k) scores[k] = scores[k] + column[k] * factor;
    }
  }

  return largest(scores, K);
}

// softmax_weights for one replica: the exponentials of kLanes products at a
// time run as one pack, and the partial sums take the order of the template.
inline double softmax_weights(double* scores, int K, double top) {
  double partial[4] = {};
  const int grouped = K / 4 * 4;  // products in the template's groups of four
  int k = 0;
  for (; k + kLanes <= K; k += kLanes) {
    const Pack weights = exp_nonpositive(load_pack(scores + k) - top);
    std::memcpy(scores + k, &weights, sizeof(weights));
    for (int m = 0; m < kLanes; ++m) partial[m % 4] = partial[m % 4] + scores[k + m];
  }
  for (; k < K; ++k) {
    scores[k] = exp_nonpositive(scores[k] - top);
    const int part = k < grouped ? k % 4 : 0;
    partial[part] = partial[part] + scores[k];
  }
  return (partial[0] + partial[1]) + (partial[2] + partial[3]);
}

// Inverse-CDF draw: the first k whose cumulative weight exceeds target
// (uniform * total). Weights are not negative, so the cumulative weights do
// not decrease and that k is the count of cumulative weights at or below the
// target. When rounding leaves the target at or above the last cumulative
// weight, returns the last index with positive weight (0 if none).
template <class T>
IndexOf<T> draw_index(const T* weights, int K, T target) {
  using Index = IndexOf<T>;
  T cumulative{};
  Index below{};
  for (int k = 0; k < K; ++k) {
    cumulative = cumulative + weights[k];
    const auto at_or_below = cumulative <= target;
    if (none_set(at_or_below)) break;
    below = below + count_of(at_or_below);
  }

  const auto beyond = below >= K;
  if (none_set(beyond)) return below;
  Index last_positive{};
  for (int k = 0; k < K; ++k) last_positive = weights[k] > 0 ? Index{} + k : last_positive;
  return beyond ? last_positive : below;
}

}  // namespace loopmc::kernels
