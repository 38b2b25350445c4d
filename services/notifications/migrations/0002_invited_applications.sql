-- The application's last heard status, so that a selection day planned after the invitation
-- reaches the applications of its posting that are INVITED (SELECTION_DAY_OFFERED).
ALTER TABLE applications ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS applications_invited ON applications (posting_id)
  WHERE status = 'INVITED';
