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

// Applies rotations (c0, s0) and then (c1, s1) to x_i and the entries of two
// adjacent columns in row i, keeping x_i in a register between them.
template <class T>
void rotate_entry_pair(T& first, T& second, T& xi, T c0, T s0, T c1, T s1) {
  T x = xi;
  rotate_entry(first, x, c0, s0);
  rotate_entry(second, x, c1, s1);
  xi = x;
}

// Applies the Givens rotations that zero x against the lower-triangular L,
// column by column, and the same rotations to (z, rhs). Afterwards
// L' L'^T = L L^T + x x^T and L' z' = L z + x rhs. Column k of L starts at
// L + k * stride. x is overwritten.
//
// Columns go in pairs: one pass over the rows below a pair rotates both
// columns and x, which halves the loads and stores of x and the loop
// overhead of short columns. The next pair's two rotations are started in the
// pass's first two rows, where their inputs become final, so that their sqrt
// and divisions run while the rest of the pass is updated. Every value is
// computed by the same operations as in plain column order.
template <class T>
void rotate_in(T* __restrict L, std::ptrdiff_t stride, T* __restrict z, T* __restrict x, T rhs,
               int d) {
  const auto entry = [&](int row, int column) -> T& { return L[column * stride + row]; };

  // Rotations of the current pair of columns k and k + 1, with entry
  // (k + 1, k) already rotated.
  T c0, s0, c1, s1;
  start_rotation(entry(0, 0), x[0], c0, s0);
  if (d > 1) {
    rotate_entry(entry(1, 0), x[1], c0, s0);
    start_rotation(entry(1, 1), x[1], c1, s1);
  }

  int k = 0;
  for (; k + 1 < d; k += 2) {
    T* first = L + k * stride;
    T* second = first + stride;
    T c2 = c0, s2 = s0, c3 = c1, s3 = s1;  // the next pair's, where it has rows
    int i = k + 2;
    if (i < d) {
      rotate_entry_pair(first[i], second[i], x[i], c0, s0, c1, s1);
      start_rotation(entry(i, i), x[i], c2, s2);
      ++i;
    }
    if (i < d) {
      rotate_entry_pair(first[i], second[i], x[i], c0, s0, c1, s1);
      rotate_entry(entry(i, k + 2), x[i], c2, s2);
      start_rotation(entry(i, i), x[i], c3, s3);
      ++i;
    }
    for (; i < d; ++i) rotate_entry_pair(first[i], second[i], x[i], c0, s0, c1, s1);

    const T z0 = z[k];
    z[k] = c0 * z0 + s0 * rhs;
    rhs = c0 * rhs - s0 * z0;
    const T z1 = z[k + 1];
    z[k + 1] = c1 * z1 + s1 * rhs;
    rhs = c1 * rhs - s1 * z1;
    c0 = c2;
    s0 = s2;
    c1 = c3;
    s1 = s3;
  }

  // With d odd the last column is left alone; its rotation is started, and it
  // has no rows below the diagonal.
  if (k < d) z[k] = c0 * z[k] + s0 * rhs;
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
