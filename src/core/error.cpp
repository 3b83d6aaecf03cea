#include "core/error.h"

namespace core {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
      return "invalid_argument";
    case ErrorCode::config:
      return "config";
    case ErrorCode::io:
      return "io";
    case ErrorCode::parse:
      return "parse";
    case ErrorCode::network:
      return "network";
    case ErrorCode::timeout:
      return "timeout";
    case ErrorCode::rate_limited:
      return "rate_limited";
    case ErrorCode::server_error:
      return "server_error";
    case ErrorCode::auth:
      return "auth";
    case ErrorCode::quota:
      return "quota";
    case ErrorCode::bad_request:
      return "bad_request";
    case ErrorCode::budget_exceeded:
      return "budget_exceeded";
    case ErrorCode::replay_mismatch:
      return "replay_mismatch";
    case ErrorCode::process:
      return "process";
    case ErrorCode::cancelled:
      return "cancelled";
    case ErrorCode::internal:
      return "internal";
  }
  return "unknown";
}

std::string Error::describe() const {
  std::string out(to_string(code));
  out += ": ";
  out += message;
  return out;
}

bool is_transient(ErrorCode code) {
  return code == ErrorCode::network || code == ErrorCode::timeout ||
         code == ErrorCode::rate_limited || code == ErrorCode::server_error;
}

}  // namespace core
