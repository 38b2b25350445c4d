-- Erasure deletes documents by application, the retention sweep finds unsubmitted uploads.
CREATE INDEX IF NOT EXISTS documents_application_idx ON documents (application_id);
CREATE INDEX IF NOT EXISTS documents_unsubmitted_idx ON documents (created_at)
  WHERE application_id IS NULL;
