-- Invitations listed to the applicant and to HR (ListInvitations), changed by HR
-- (UpdateInvitation): when the application became INVITED (the stable order of the list), and
-- a version for the etag.
ALTER TABLE invitations ADD COLUMN IF NOT EXISTS invited_at timestamptz;
ALTER TABLE invitations ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 1;
UPDATE invitations SET invited_at = updated_at WHERE status = 'INVITED' AND invited_at IS NULL;
CREATE INDEX IF NOT EXISTS invitations_open_of_applicant
  ON invitations (applicant_sub, invited_at, application_id) WHERE status = 'INVITED';
CREATE INDEX IF NOT EXISTS invitations_open_of_posting
  ON invitations (tenant_id, posting_id, invited_at, application_id) WHERE status = 'INVITED';
