#include "common/pg/aggregate_store.h"

#include "common/ids/uuid.h"

namespace stellenwerk::pg {

std::string NewAggregateId() { return ids::NewUuid(); }

}  // namespace stellenwerk::pg
