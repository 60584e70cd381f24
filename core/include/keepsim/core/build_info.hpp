// The commit a keepsim binary is built from, as run files and checkpoints record it (docs/output.md).
#pragma once

namespace keepsim {

/// The short commit hash of the source tree at build time, with "+dirty" when tracked files differed from it,
/// or "unknown" outside a git checkout. Looked up on every build (cmake/git_commit.cmake).
const char* git_commit();

}  // namespace keepsim
