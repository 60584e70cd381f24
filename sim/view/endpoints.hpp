// The HTTP endpoints of `keepsim view` (docs/explorer.md, "Endpoints"): JSON for lists, run contents, sweep
// tables, the parameter schema and the runs started from the page; maps as raw binary arrays, one variable
// and one snapshot per request.
#pragma once

namespace httplib {
class Server;
}

namespace keepsim::view {

class PathPolicy;
class Jobs;

/// Registers every /api/ route on `server`. `jobs` may be null (no folder to start runs in).
void add_endpoints(httplib::Server& server, PathPolicy& policy, Jobs* jobs);
/// The /api/jobs and /api/job routes (job_endpoints.cpp), called by add_endpoints.
void add_job_endpoints(httplib::Server& server, PathPolicy& policy, Jobs* jobs);

}  // namespace keepsim::view
