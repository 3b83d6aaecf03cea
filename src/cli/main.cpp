// The ai-scientist command. Everything is in app.cpp; main only hands over argv and the
// environment, the one place the program reads them.
#include "cli/app.h"

extern char** environ;

int main(int argc, char** argv) {
  return cli::run(argc, argv, core::Environment::from_process(environ));
}
