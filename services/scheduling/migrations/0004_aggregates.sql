-- Selection days and bookings are aggregates of the shared store (common/pg/aggregate_store.h,
-- ADR 0054): the message in `data`, its version the etag, as in every other service.
ALTER TABLE selection_days RENAME COLUMN state TO data;
ALTER TABLE bookings RENAME COLUMN state TO data;
