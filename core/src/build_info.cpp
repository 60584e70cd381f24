// The one translation unit that sees the generated commit header, so that a new commit recompiles only this
// file.
#include "keepsim/core/build_info.hpp"

#include "keepsim_git_commit.hpp"

namespace keepsim {

const char* git_commit() {
  return KEEPSIM_GIT_COMMIT;
}

}  // namespace keepsim
