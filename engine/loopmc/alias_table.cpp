#include "loopmc/alias_table.hpp"

#include <numeric>
#include <stdexcept>

namespace loopmc {

AliasTable::AliasTable(std::span<const double> weights)
    : threshold_(weights.size()), alias_(weights.size()) {
  const std::size_t count = weights.size();
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (count == 0 || !(total > 0.0)) {
    throw std::invalid_argument("alias table needs at least one weight and a positive sum");
  }

  std::vector<double> scaled(count);
  std::vector<std::uint32_t> small;
  std::vector<std::uint32_t> large;
  for (std::size_t i = 0; i < count; ++i) {
    scaled[i] = weights[i] * static_cast<double>(count) / total;
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
  }

  while (!small.empty() && !large.empty()) {
    const std::uint32_t low = small.back();
    small.pop_back();
    const std::uint32_t high = large.back();
    threshold_[low] = scaled[low];
    alias_[low] = high;
    scaled[high] = (scaled[high] + scaled[low]) - 1.0;
    if (scaled[high] < 1.0) {
      large.pop_back();
      small.push_back(high);
    }
  }

  // Whatever is left has a scaled weight of 1 up to rounding.
  for (std::uint32_t i : large) {
    threshold_[i] = 1.0;
    alias_[i] = i;
  }
  for (std::uint32_t i : small) {
    threshold_[i] = 1.0;
    alias_[i] = i;
  }
}

}  // namespace loopmc
