// The server of `keepsim view` (server.hpp). Requests are checked before any route runs: the Host header must
// name the address the server is bound to, so a web page elsewhere cannot reach it through a name that
// resolves to 127.0.0.1 (DNS rebinding), and a POST must come from the server's own page (its Origin, when
// the browser sends one). docs/explorer.md, "Security", lists these rules.
#include "sim/view/server.hpp"

#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "sim/view/assets.hpp"
#include "sim/view/endpoints.hpp"
#include "sim/view/jobs.hpp"
#include "sim/view/path_policy.hpp"

#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer builds only: Debian's libcpp-httplib is not instrumented, so the synchronisation inside it
// (its atomics and inlined library code) is invisible, and its worker threads' own copies and compares of
// request data are reported as races between them, with every frame in the library. Those interceptor calls
// made from the library are ignored; keepsim's handlers are instrumented and still checked.
extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:libcpp-httplib.so.0.11\n";
}
#endif

namespace keepsim::view {
namespace {

namespace fs = std::filesystem;

bool loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

/// The Host header values the page's own address can give.
std::vector<std::string> allowed_hosts(const std::string& host, int port) {
  // Appended, not `":" + string`: g++ 12 at -O3 reports a false overlap there (-Werror=restrict).
  std::string p = ":";
  p += std::to_string(port);
  std::vector<std::string> hosts{host + p};
  if (loopback(host))
    for (const char* h : {"127.0.0.1", "localhost", "[::1]"}) hosts.push_back(h + p);
  return hosts;
}

std::string self_exe() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

int serve(const ServerOptions& options, const std::atomic<bool>* stop) {
  PathPolicy policy(options.paths);

  // Runs from the page go into a folder that is served too, so the page can open them.
  std::unique_ptr<Jobs> jobs;
  if (!options.no_runs) {
    std::string dir = options.runs_dir;
    if (dir.empty())
      for (const Root& r : policy.roots())
        if (r.is_dir) {
          dir = (fs::path(r.canonical) / "page_runs").string();
          break;
        }
    if (!dir.empty()) {  // made when the first run starts: viewing alone writes nothing
      const std::size_t root = policy.add_future_root(dir);
      jobs = std::make_unique<Jobs>(self_exe(), policy.roots()[root].canonical);
    }
  }

  httplib::Server server;
  const int threads = options.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  server.set_payload_max_length(1 << 20);  // a form of every parameter is a few tens of kB
  // An idle keep-alive connection holds a thread of the pool; a browser keeps up to six per page, so they are
  // let go after a second rather than httplib's five.
  server.set_keep_alive_timeout(1);
  int port = options.port;
  const bool any_host = options.host == "0.0.0.0" || options.host == "::";
  std::vector<std::string> hosts;  // filled once the port is known, before the first request is served
  server.set_pre_routing_handler([&hosts, any_host](const httplib::Request& req, httplib::Response& res) {
    const std::string host = req.get_header_value("Host");
    bool ok = any_host;
    for (const auto& h : hosts) ok = ok || host == h;
    if (ok && req.method != "GET" && req.method != "HEAD" && req.has_header("Origin"))
      ok = any_host || req.get_header_value("Origin") == "http://" + host;
    if (ok) return httplib::Server::HandlerResponse::Unhandled;
    res.status = 403;
    res.set_content("{\"error\":\"this server answers only its own page's address\"}", "application/json");
    return httplib::Server::HandlerResponse::Handled;
  });
  add_assets(server);
  add_endpoints(server, policy, jobs.get());

  if (port == 0) {
    port = server.bind_to_any_port(options.host);
    if (port < 0) {
      std::fprintf(stderr, "keepsim: error: cannot listen on %s\n", options.host.c_str());
      return 2;
    }
  } else if (!server.bind_to_port(options.host, port)) {
    std::fprintf(stderr, "keepsim: error: cannot listen on %s port %d (in use? try --port 0)\n",
                 options.host.c_str(), port);
    return 2;
  }
  hosts = allowed_hosts(options.host, port);
  const std::string shown =
      options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  std::printf("keepsim view: %zu path(s) served at http://%s:%d/ (Ctrl-C stops)\n", options.paths.size(),
              shown.c_str(), port);
  if (jobs) std::printf("keepsim view: runs started from the page go to %s\n", jobs->dir().c_str());
  if (!loopback(options.host))
    std::printf(
        "keepsim view: warning: listening on %s, not only this machine; anyone who can reach it can "
        "read the served runs and start runs\n",
        options.host.c_str());
  std::fflush(stdout);

  // A stop asked for before listen_after_bind has started would be lost (httplib's stop() does nothing until
  // the server runs), and a signal can come as soon as the address is printed: so the watcher asks again
  // until the server has stopped.
  std::atomic<bool> done{false};
  std::thread watcher([&server, &done, stop] {
    while (!done.load()) {
      if (stop != nullptr && stop->load()) server.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  server.listen_after_bind();
  done = true;
  watcher.join();
  return 0;
}

}  // namespace keepsim::view
