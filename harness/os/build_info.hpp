// What this binary was built from, for the provenance of every report (DESIGN §9.1). The
// definition is generated at every build (harness/os/build_info.cmake), not at configure time,
// so the commit is the one the binary was compiled from.
#pragma once

namespace sh::os {

struct BuildInfo {
    const char* commit;  // 40 hex digits; "" when built outside a git checkout
    bool commit_dirty;   // tracked files differed from the commit when it was built
    const char* build_type;
    const char* compiler;
};

const BuildInfo& build_info();

}  // namespace sh::os
