-- Reports take one more reason, 'edited': not a visitor's, the instance's own, when a
-- petition the admins approved (pre-publication review on) changes what it says. Kept in
-- lock-step with migrations/sqlite.
--
-- Expand only: the wider CHECK added NOT VALID and validated before the narrower one is
-- dropped. A binary of the previous release still runs; its queue would not know an
-- 'edited' report.
ALTER TABLE reports ADD CONSTRAINT reports_reason_wider_check
    CHECK (reason IN ('spam', 'hateful', 'misleading', 'personal_data', 'other', 'edited')) NOT VALID;
ALTER TABLE reports VALIDATE CONSTRAINT reports_reason_wider_check;
ALTER TABLE reports DROP CONSTRAINT reports_reason_check;
