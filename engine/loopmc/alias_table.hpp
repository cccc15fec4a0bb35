#pragma once
// Walker's alias method: O(N) construction, O(1) draws from a discrete law.

#include <cstdint>
#include <span>
#include <vector>

namespace loopmc {

class AliasTable {
 public:
  AliasTable() = default;

  // Builds the table for weights that are non-negative with a positive sum;
  // they need not be normalised. Uses Vose's stable construction.
  explicit AliasTable(std::span<const double> weights);

  // Draws an index from one uniform on [0, 1).
  std::uint32_t sample(double uniform) const {
    const double scaled = uniform * static_cast<double>(threshold_.size());
    auto column = static_cast<std::uint32_t>(scaled);
    if (column >= threshold_.size()) column = static_cast<std::uint32_t>(threshold_.size() - 1);
    const double fraction = scaled - static_cast<double>(column);
    return fraction < threshold_[column] ? column : alias_[column];
  }

  std::size_t size() const { return threshold_.size(); }

 private:
  std::vector<double> threshold_;
  std::vector<std::uint32_t> alias_;
};

}  // namespace loopmc
