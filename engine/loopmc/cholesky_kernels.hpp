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
//
// The group form rotates `Count` independent factors of the same size with
// their rows interleaved. Each factor's rotations form a chain of square
// roots and divisions from one column to the next. So while one factor's
// rows wait for their rotation, the other's can be updated. Each factor is
// computed exactly as it would be alone.
template <class T, int Count>
void rotate_in_group(T* const (&L)[Count], std::ptrdiff_t stride, T* const (&z)[Count],
                     T* const (&x)[Count], const T (&rhs_in)[Count], int d) {
  const auto entry = [&](int n, int row, int column) -> T& { return L[n][column * stride + row]; };

  // Rotations of the current pair of columns k and k + 1, with entry
  // (k + 1, k) already rotated.
  T c0[Count], s0[Count], c1[Count], s1[Count], rhs[Count];
  for (int n = 0; n < Count; ++n) {
    rhs[n] = rhs_in[n];
    start_rotation(entry(n, 0, 0), x[n][0], c0[n], s0[n]);
    if (d > 1) {
      rotate_entry(entry(n, 1, 0), x[n][1], c0[n], s0[n]);
      start_rotation(entry(n, 1, 1), x[n][1], c1[n], s1[n]);
    }
  }

  int k = 0;
  for (; k + 1 < d; k += 2) {
    // The next pair's rotations, started below where the pair has rows.
    T c2[Count], s2[Count], c3[Count], s3[Count];
    for (int n = 0; n < Count; ++n) {
      c2[n] = c0[n];
      s2[n] = s0[n];
      c3[n] = c1[n];
      s3[n] = s1[n];
    }
    const auto rotate_row = [&](int n, int i) {
      rotate_entry_pair(entry(n, i, k), entry(n, i, k + 1), x[n][i], c0[n], s0[n], c1[n], s1[n]);
    };
    int i = k + 2;
    if (i < d) {
      for (int n = 0; n < Count; ++n) {
        rotate_row(n, i);
        start_rotation(entry(n, i, i), x[n][i], c2[n], s2[n]);
      }
      ++i;
    }
    if (i < d) {
      for (int n = 0; n < Count; ++n) {
        rotate_row(n, i);
        rotate_entry(entry(n, i, k + 2), x[n][i], c2[n], s2[n]);
        start_rotation(entry(n, i, i), x[n][i], c3[n], s3[n]);
      }
      ++i;
    }
    for (; i < d; ++i) {
      for (int n = 0; n < Count; ++n) rotate_row(n, i);
    }

    for (int n = 0; n < Count; ++n) {
      const T z0 = z[n][k];
      z[n][k] = c0[n] * z0 + s0[n] * rhs[n];
      rhs[n] = c0[n] * rhs[n] - s0[n] * z0;
      const T z1 = z[n][k + 1];
      z[n][k + 1] = c1[n] * z1 + s1[n] * rhs[n];
      rhs[n] = c1[n] * rhs[n] - s1[n] * z1;
      c0[n] = c2[n];
      s0[n] = s2[n];
      c1[n] = c3[n];
      s1[n] = s3[n];
    }
  }

  // With d odd the last column is left alone; its rotation is started, and it
  // has no rows below the diagonal.
  if (k < d) {
    for (int n = 0; n < Count; ++n) z[n][k] = c0[n] * z[n][k] + s0[n] * rhs[n];
  }
}

template <class T>
void rotate_in(T* L, std::ptrdiff_t stride, T* z, T* x, T rhs, int d) {
  T* const factors[1] = {L};
  T* const right_sides[1] = {z};
  T* const contexts[1] = {x};
  const T weighted[1] = {rhs};
  rotate_in_group(factors, stride, right_sides, contexts, weighted, d);
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
