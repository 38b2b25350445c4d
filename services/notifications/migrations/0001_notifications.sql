-- Notifications (ADR 0021, 0022). Addresses and names live in contacts and in deliveries
-- until the person is erased (applications.applicant.erased.v1) or the mail is sent.

CREATE TABLE tenant_settings (
  tenant_id   text PRIMARY KEY,
  data        bytea NOT NULL,          -- stellenwerk.notifications.v1.TenantSettings
  update_time timestamptz NOT NULL
);

CREATE TABLE templates (
  tenant_id   text NOT NULL,
  kind        int NOT NULL,
  subject     text NOT NULL,
  body_text   text NOT NULL,
  body_html   text NOT NULL DEFAULT '',
  update_time timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, kind)
);

-- The applicant's contact, from applications.application.submitted.v1 (PII).
CREATE TABLE contacts (
  tenant_id     text NOT NULL,
  applicant_sub text NOT NULL,
  email         text NOT NULL,
  given_name    text NOT NULL DEFAULT '',
  family_name   text NOT NULL DEFAULT '',
  salutation    text NOT NULL DEFAULT '',
  update_time   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, applicant_sub)
);

-- What later events about an application need: whose it is, Kennziffer and title.
CREATE TABLE applications (
  application_id text PRIMARY KEY,
  tenant_id      text NOT NULL,
  posting_id     text NOT NULL,
  applicant_sub  text NOT NULL,
  kennziffer     text NOT NULL DEFAULT '',
  posting_title  text NOT NULL DEFAULT ''
);
CREATE INDEX applications_posting ON applications (posting_id);
CREATE INDEX applications_applicant ON applications (tenant_id, applicant_sub);

-- One row per (event, recipient, kind, channel): the intent, recorded before the send.
CREATE TABLE deliveries (
  id              uuid PRIMARY KEY,
  tenant_id       text NOT NULL,
  event_id        text NOT NULL,
  recipient_role  text NOT NULL,            -- "applicant" or a role mailbox
  recipient_sub   text NOT NULL DEFAULT '', -- the applicant's subject; '' for mailboxes
  kind            int NOT NULL,
  channel         int NOT NULL,
  status          text NOT NULL,            -- PENDING | SENT | FAILED | HELD | CANCELLED
  mail_from       text NOT NULL DEFAULT '',
  from_name       text NOT NULL DEFAULT '',
  reply_to        text NOT NULL DEFAULT '',
  address         text,                     -- PII until sent and erased
  display_name    text,
  subject         text NOT NULL DEFAULT '',
  body_text       text NOT NULL DEFAULT '',
  body_html       text NOT NULL DEFAULT '',
  ics             text NOT NULL DEFAULT '',
  ics_method      text NOT NULL DEFAULT '',
  attempts        int NOT NULL DEFAULT 0,
  last_error      text NOT NULL DEFAULT '',
  next_attempt_at timestamptz NOT NULL,
  create_time     timestamptz NOT NULL,
  sent_at         timestamptz,
  application_id  text NOT NULL DEFAULT '',
  posting_id      text NOT NULL DEFAULT '',
  notice_id       text NOT NULL DEFAULT '',
  forget_after_send boolean NOT NULL DEFAULT false,  -- the erasure confirmation
  UNIQUE (event_id, recipient_role, recipient_sub, kind, channel)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX deliveries_tenant ON deliveries (tenant_id, create_time DESC, id DESC);
CREATE INDEX deliveries_applicant ON deliveries (tenant_id, recipient_sub) WHERE recipient_sub <> '';

CREATE TABLE inbox (
  id             uuid PRIMARY KEY,
  tenant_id      text NOT NULL,
  event_id       text NOT NULL,
  recipient_role text NOT NULL,
  recipient_sub  text NOT NULL DEFAULT '',
  kind           int NOT NULL,
  subject        text NOT NULL,
  body_text      text NOT NULL,
  application_id text NOT NULL DEFAULT '',
  posting_id     text NOT NULL DEFAULT '',
  notice_id      text NOT NULL DEFAULT '',
  create_time    timestamptz NOT NULL,
  read_time      timestamptz,
  UNIQUE (event_id, recipient_role, recipient_sub, kind)
);
CREATE INDEX inbox_applicant ON inbox (recipient_sub, create_time DESC, id DESC) WHERE recipient_sub <> '';
CREATE INDEX inbox_role ON inbox (tenant_id, recipient_role, create_time DESC, id DESC);
