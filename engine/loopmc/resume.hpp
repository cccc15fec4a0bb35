#pragma once
// Resuming a run whose process died or was stopped: what its result file
// holds, and whether it was written by the same job and build.
//
// A replica's records depend only on (seed, replica), so a resumed run keeps
// the replicas marked finished, runs the others again, and ends with the same
// bytes as a run that was never interrupted.

#include "loopmc/job.hpp"
#include "loopmc/result_file.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace loopmc {

enum class ResumeStart {
  fresh,     // no result file yet: run everything
  complete,  // the file is complete: nothing to do
  resume,    // keep the finished replicas listed in the plan, run the rest
};

struct ResumePlan {
  ResumeStart start = ResumeStart::fresh;
  std::vector<std::uint64_t> kept;  // finished replicas to copy, increasing
  std::uint64_t finished_in_file = 0;
};

// Reads the result file at job.output.file and decides how to resume. Throws
// RunError when the file is not a result file of this job and this build.
ResumePlan plan_resume(const Job& job, const OutputLayout& layout);

// Differences that change results between the job stored in a result file and
// `job_toml`, one line each, e.g. "model.a: the file has 8, this job has 4".
// Keys that do not change results (run.threads, output.file, name,
// description) are left out.
std::vector<std::string> job_differences(const std::string& stored_toml,
                                         const std::string& job_toml);

}  // namespace loopmc
