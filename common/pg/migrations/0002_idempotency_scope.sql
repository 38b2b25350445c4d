-- Request ids are scoped by whose they are (store::IdempotencyScope: issuer and tenant, and the
-- subject for applicants), no longer by the tenant or the subject alone, which let a caller
-- of another tenant with the same subject replay someone else's answer. Keys stored before
-- hold the old scope text, match no new scope and so can no longer be replayed.
ALTER TABLE idempotency_keys RENAME COLUMN tenant_id TO scope;
