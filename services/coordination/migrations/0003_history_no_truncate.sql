-- The history of a notice is the proof both sides rely on afterwards (issue 6): the row trigger
-- of 0001 refuses UPDATE and DELETE; TRUNCATE bypasses row triggers, so it is refused too.
DROP TRIGGER IF EXISTS notice_history_no_truncate ON notice_history;
CREATE TRIGGER notice_history_no_truncate BEFORE TRUNCATE ON notice_history
  FOR EACH STATEMENT EXECUTE FUNCTION notice_history_is_immutable();
