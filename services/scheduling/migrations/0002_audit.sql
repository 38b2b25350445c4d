-- Who did what to a selection day, booking or internship request, in the transaction of the
-- change (the shared rule: state, events and audit commit together). An erasure removes the
-- lines of the erased bookings with them (GDPR Art. 17).
CREATE TABLE IF NOT EXISTS scheduling_audit (
  id           bigserial PRIMARY KEY,
  tenant_id    text        NOT NULL,
  subject_kind text        NOT NULL,  -- selection_day | booking | internship_period | internship_request
  subject_id   uuid        NOT NULL,
  action       text        NOT NULL,
  actor        text        NOT NULL,
  reason       text        NOT NULL DEFAULT '',
  at           timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS scheduling_audit_subject ON scheduling_audit (subject_id, id);
