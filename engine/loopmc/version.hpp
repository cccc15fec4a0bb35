#pragma once

namespace loopmc {
const char* version();
const char* git_revision();  // short hash of the build's checkout, or "unknown"
const char* build_type();    // CMake build type, e.g. "Release"
}  // namespace loopmc
