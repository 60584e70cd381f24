// `keepsim view PATH...`: the command that starts the explorer (docs/explorer.md). Registered by sim/main.cpp
// as the sweep command is: add_command() declares its options, main() runs it.
#pragma once
#include <atomic>

#include "sim/view/server.hpp"

namespace CLI {
class App;
}

namespace keepsim::view {

CLI::App* add_command(CLI::App& app, ServerOptions& options);
int main(const ServerOptions& options, const std::atomic<bool>* stop);

}  // namespace keepsim::view
