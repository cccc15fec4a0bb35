#pragma once
// The learner's two O(d^2) kernels, written once for a scalar (T = double, one
// replica) and for a pack (T = Pack, one replica per lane). Every lane performs
// the same sequence of correctly rounded operations as the scalar code: the engine is compiled with -ffp-contract=off,
// so no a*b+c is fused behind the code's back, and sqrt and division are exact
// to rounding in both forms. A lane's results therefore equal the scalar
// results bit for bit.

#include "loopmc/pack.hpp"

#include <cstddef>

namespace loopmc::kernels {

// One Givens rotation: zeroes x against the diagonal entry `diagonal`, stores
// the new diagonal there and returns the rotation's cosine and sine.
template <class T>
void start_rotation(T& diagonal, T x, T& cosine, T& sine) {
  const T radius = root(diagonal * diagonal + x * x);
  cosine = diagonal / radius;
  sine = x / radius;
  diagonal = radius;
}

// Applies a rotation to one entry l of L and the matching entry xi of x.
template <class T>
void rotate_entry(T& l, T& xi, T cosine, T sine) {
  const T l_old = l;
  const T x_old = xi;
  l = cosine * l_old + sine * x_old;
  xi = cosine * x_old - sine * l_old;
}

// Applies the Givens rotations that zero x against the lower-triangular L,
// column by column, and the same rotations to (z, rhs). Afterwards
// L' L'^T = L L^T + x x^T and L' z' = L z + x rhs. Column k of L starts at
// L + k * stride. x is overwritten.
//
// Column k+1's rotation needs only x[k+1] as column k leaves it, which is
// column k's first entry. It is started right after that entry, so its sqrt
// and divisions run while the rest of column k is updated; in plain column
// order they would stall the loop once per column. Every value is computed by
// the same operations in either order.
template <class T>
void rotate_in(T* __restrict L, std::ptrdiff_t stride, T* __restrict z, T* __restrict x, T rhs,
               int d) {
  T cosine, sine;
  start_rotation(L[0], x[0], cosine, sine);
  for (int k = 0; k < d; ++k) {
    T* column = L + k * stride;
    T next_cosine = cosine;
    T next_sine = sine;
    if (k + 1 < d) {
      rotate_entry(column[k + 1], x[k + 1], cosine, sine);
      start_rotation(L[(k + 1) * stride + k + 1], x[k + 1], next_cosine, next_sine);
    }
    for (int i = k + 2; i < d; ++i) rotate_entry(column[i], x[i], cosine, sine);

    const T zk = z[k];
    z[k] = cosine * zk + sine * rhs;
    rhs = cosine * rhs - sine * zk;
    cosine = next_cosine;
    sine = next_sine;
  }
}

// Back substitution L^T theta = z, reading column i of L below the diagonal.
// The sums run in increasing j, the order that fixes their rounding. The
// group form runs `Count` independent substitutions of the same size
// interleaved: alone, each is a chain of dependent subtractions and
// divisions that leaves the pipeline idle, and each is computed exactly as
// it would be alone.
template <class T, int Count>
void solve_transposed_group(const T* const (&L)[Count], const T* const (&z)[Count],
                            T* const (&theta)[Count], std::ptrdiff_t stride, int d) {
  for (int i = d - 1; i >= 0; --i) {
    T sum[Count];
    for (int n = 0; n < Count; ++n) sum[n] = z[n][i];
    for (int j = i + 1; j < d; ++j) {
      for (int n = 0; n < Count; ++n) sum[n] = sum[n] - L[n][i * stride + j] * theta[n][j];
    }
    for (int n = 0; n < Count; ++n) theta[n][i] = sum[n] / L[n][i * stride + i];
  }
}

template <class T>
void solve_transposed(const T* L, std::ptrdiff_t stride, const T* z, T* theta, int d) {
  const T* const factors[1] = {L};
  const T* const right_sides[1] = {z};
  T* const solutions[1] = {theta};
  solve_transposed_group(factors, right_sides, solutions, stride, d);
}

}  // namespace loopmc::kernels
