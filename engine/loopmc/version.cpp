#include "loopmc/version.hpp"

namespace loopmc {
const char* version() { return LOOPMC_VERSION; }
const char* git_revision() { return LOOPMC_GIT_REVISION; }
const char* build_type() { return LOOPMC_BUILD_TYPE; }
}  // namespace loopmc
