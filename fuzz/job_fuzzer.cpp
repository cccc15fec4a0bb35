// libFuzzer target: parses and validates arbitrary text as a job file. Every
// input must either load or raise JobError; a crash, a leak, an
// uncaught exception or a hang is a bug. fuzz/run.sh builds and runs it.

#include "loopmc/job.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const loopmc::Job job = loopmc::parse_job(text, "fuzz.toml", {});
    // A loaded job has passed every rule; these hold for every valid job.
    if (job.run.checkpoints.empty() || job.run.checkpoints.front() != 0 ||
        job.run.checkpoints.back() != job.run.steps || job.run.replicas == 0) {
      __builtin_trap();
    }
  } catch (const loopmc::JobError&) {
    // Rejected with a message: the expected outcome for most inputs.
  }
  return 0;
}
