#pragma once
// Counter-based random streams. A draw depends only on (seed, replica, stream
// purpose, block index), never on the thread that draws it, so a replica's
// path is the same for any thread count and any scheduling.

#include <Random123/philox.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace loopmc {

// Purposes of random streams. Each purpose owns a disjoint counter space, so
// adding a new purpose never changes the draws of an existing one.
enum class Stream : std::uint64_t {
  step = 1,            // per-step draws of a replica: arrival, choice, noise
  generated_inputs = 2 // user and product attributes and initial states made from the seed
};

// One Philox4x64-10 block: four independent 64-bit words.
using RandomBlock = std::array<std::uint64_t, 4>;

class RandomStream {
 public:
  RandomStream(std::uint64_t seed, std::uint64_t replica, Stream purpose)
      : key_{{seed, replica}}, purpose_(static_cast<std::uint64_t>(purpose)) {}

  RandomBlock block(std::uint64_t index) const {
    const r123::Philox4x64::ctr_type counter = {{index, purpose_, 0, 0}};
    const auto out = generator_(counter, key_);
    return {out[0], out[1], out[2], out[3]};
  }

 private:
  r123::Philox4x64 generator_;
  r123::Philox4x64::key_type key_;
  std::uint64_t purpose_;
};

// Uniform on [0, 1) with 53 random bits.
inline double to_uniform(std::uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

// Uniform on the open interval (0, 1), safe to pass to log.
inline double to_open_uniform(std::uint64_t bits) {
  return (static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53;
}

// Standard normal from two words by the Box-Muller transform. The engine uses
// its own transform because the standard library's distributions differ between
// implementations, which would break reproducibility across platforms.
inline double to_normal(std::uint64_t bits_radius, std::uint64_t bits_angle) {
  const double radius = std::sqrt(-2.0 * std::log(to_open_uniform(bits_radius)));
  return radius * std::cos(2.0 * std::numbers::pi * to_uniform(bits_angle));
}

}  // namespace loopmc
