-- Scheduling's own tables. Double bookings are impossible in the database itself, not only in
-- code: exclusion constraints and partial unique indexes hold under concurrent transactions
-- (ADR 0024).
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

-- What scheduling knows of postings, kept current from postings.posting.* events (the same
-- projection applications keeps; version-guarded because events may arrive out of order).
CREATE TABLE IF NOT EXISTS posting_snapshots (
  posting_id           uuid PRIMARY KEY,
  tenant_id            text   NOT NULL,
  kennziffer           text   NOT NULL,
  title                text   NOT NULL,
  status               text   NOT NULL,
  application_deadline date,
  posting_kind         int    NOT NULL DEFAULT 0,
  version              bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS selection_days (
  id              uuid PRIMARY KEY,
  tenant_id       text        NOT NULL,
  posting_id      uuid        NOT NULL,
  day             date        NOT NULL,
  location        text        NOT NULL,
  room            text        NOT NULL,
  room_key        text        NOT NULL,  -- RoomKey(location, room), '' for video-only days
  barrier_free    bool        NOT NULL DEFAULT false,
  video_available bool        NOT NULL DEFAULT false,
  span            tstzrange   NOT NULL,
  state           bytea       NOT NULL,  -- stellenwerk.scheduling.v1.SelectionDay
  version         bigint      NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL,
  -- One room holds one selection day at a time, across every day of the tenant.
  CONSTRAINT selection_days_room_free EXCLUDE USING gist
    (tenant_id WITH =, room_key WITH =, span WITH &&) WHERE (room_key <> '')
);
CREATE INDEX IF NOT EXISTS selection_days_posting ON selection_days (tenant_id, posting_id, day);

-- A committee member sits on one selection day at a time.
CREATE TABLE IF NOT EXISTS committee_sittings (
  tenant_id        text      NOT NULL,
  selection_day_id uuid      NOT NULL REFERENCES selection_days (id) ON DELETE CASCADE,
  member_id        text      NOT NULL,
  span             tstzrange NOT NULL,
  PRIMARY KEY (selection_day_id, member_id),
  CONSTRAINT committee_member_free EXCLUDE USING gist
    (tenant_id WITH =, member_id WITH =, span WITH &&)
);

CREATE TABLE IF NOT EXISTS slots (
  id               uuid PRIMARY KEY,
  tenant_id        text        NOT NULL,
  selection_day_id uuid        NOT NULL REFERENCES selection_days (id) ON DELETE CASCADE,
  idx              int         NOT NULL,
  part             int         NOT NULL,  -- stellenwerk.events.v1.AppointmentPart
  start_at         timestamptz NOT NULL,
  end_at           timestamptz NOT NULL CHECK (end_at > start_at),
  UNIQUE (selection_day_id, idx)
);

-- Invitations from applications.application.status_changed.v1 (INVITED).
CREATE TABLE IF NOT EXISTS invitations (
  application_id uuid PRIMARY KEY,
  tenant_id      text        NOT NULL,
  posting_id     uuid        NOT NULL,
  applicant_sub  text        NOT NULL,
  status         text        NOT NULL,  -- the application's status as last heard
  self_booking   bool        NOT NULL DEFAULT true,
  updated_at     timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS bookings (
  id               uuid PRIMARY KEY,
  tenant_id        text        NOT NULL,
  selection_day_id uuid        NOT NULL REFERENCES selection_days (id),
  slot_id          uuid        NOT NULL REFERENCES slots (id),
  application_id   uuid        NOT NULL,
  applicant_sub    text        NOT NULL,
  active           bool        NOT NULL DEFAULT true,
  occupied         tstzrange   NOT NULL,  -- the slot, extended by accommodations
  sequence         int         NOT NULL DEFAULT 0,
  state            bytea       NOT NULL,  -- stellenwerk.scheduling.v1.Booking
  version          bigint      NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  -- An extended written task never reaches into another booking of the same day.
  CONSTRAINT bookings_no_overlap EXCLUDE USING gist
    (selection_day_id WITH =, occupied WITH &&) WHERE (active)
);
-- One live booking per slot, and one slot per application and day.
CREATE UNIQUE INDEX IF NOT EXISTS bookings_one_per_slot ON bookings (slot_id) WHERE active;
CREATE UNIQUE INDEX IF NOT EXISTS bookings_one_per_day
  ON bookings (selection_day_id, application_id) WHERE active;
CREATE INDEX IF NOT EXISTS bookings_by_applicant ON bookings (tenant_id, applicant_sub);
CREATE INDEX IF NOT EXISTS bookings_by_application ON bookings (application_id);

-- Internship periods a department declared, with capacity (seed 000).
CREATE TABLE IF NOT EXISTS internship_periods (
  id         uuid PRIMARY KEY,
  tenant_id  text NOT NULL,
  posting_id uuid NOT NULL,
  department text NOT NULL,
  first_day  date NOT NULL,
  last_day   date NOT NULL CHECK (last_day >= first_day),
  capacity   int  NOT NULL CHECK (capacity >= 0)
);
CREATE TABLE IF NOT EXISTS internship_requests (
  id             uuid PRIMARY KEY,
  tenant_id      text NOT NULL,
  period_id      uuid NOT NULL REFERENCES internship_periods (id),
  application_id uuid NOT NULL UNIQUE,
  first_day      date NOT NULL,
  last_day       date NOT NULL,
  accepted       bool NOT NULL DEFAULT true
);
