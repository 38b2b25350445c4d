#pragma once
// The database refuses a double booking by constraint (migrations/0001_scheduling.sql, ADR
// 0024); this turns the violation into the contract's status: FAILED_PRECONDITION naming
// what is taken, never INTERNAL.

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace stellenwerk::scheduling {

// FAILED_PRECONDITION for the scheduling constraints (unique 23505, exclusion 23P01) with a
// message naming the constraint's meaning; any other error is rethrown.
absl::Status ConstraintStatus(const pqxx::sql_error& e);

// Runs fn and maps a scheduling constraint violation to its status.
template <typename Fn>
absl::Status MapConstraints(Fn&& fn) {
  try {
    return fn();
  } catch (const pqxx::sql_error& e) {
    return ConstraintStatus(e);
  }
}

template <typename T, typename Fn>
absl::StatusOr<T> MapConstraintsOr(Fn&& fn) {
  try {
    return fn();
  } catch (const pqxx::sql_error& e) {
    return ConstraintStatus(e);
  }
}

}  // namespace stellenwerk::scheduling
