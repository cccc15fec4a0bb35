#pragma once
// The learner's two O(d^2) kernels, written once for a scalar (T = double, one
// replica) and for a SIMD pack (T = std::experimental::fixed_size_simd, one
// replica per lane). Every lane performs the same sequence of correctly rounded
// operations as the scalar code: the engine is compiled with -ffp-contract=off,
// so no a*b+c is fused behind the code's back, and sqrt and division are exact
// to rounding in both forms. A lane's results therefore equal the scalar
// results bit for bit.

#include <cmath>
#include <cstddef>

namespace loopmc::kernels {

// Applies the Givens rotations that zero x against the lower-triangular L,
// column by column, and the same rotations to (z, rhs). Afterwards
// L' L'^T = L L^T + x x^T and L' z' = L z + x rhs. Column k of L starts at
// L + k * stride. x is overwritten.
template <class T>
void rotate_in(T* L, std::ptrdiff_t stride, T* z, T* x, T rhs, int d) {
  using std::sqrt;
  for (int k = 0; k < d; ++k) {
    T* column = L + k * stride;
    const T diagonal = column[k];
    const T radius = sqrt(diagonal * diagonal + x[k] * x[k]);
    const T cosine = diagonal / radius;
    const T sine = x[k] / radius;
    column[k] = radius;
    for (int i = k + 1; i < d; ++i) {
      const T l = column[i];
      const T xi = x[i];
      column[i] = cosine * l + sine * xi;
      x[i] = cosine * xi - sine * l;
    }
    const T zk = z[k];
    z[k] = cosine * zk + sine * rhs;
    rhs = cosine * rhs - sine * zk;
  }
}

// Back substitution L^T theta = z, reading column i of L below the diagonal.
// The sums run in increasing j, the order that fixes their rounding.
template <class T>
void solve_transposed(const T* L, std::ptrdiff_t stride, const T* z, T* theta, int d) {
  for (int i = d - 1; i >= 0; --i) {
    const T* column = L + i * stride;
    T sum = z[i];
    for (int j = i + 1; j < d; ++j) sum = sum - column[j] * theta[j];
    theta[i] = sum / column[i];
  }
}

}  // namespace loopmc::kernels
