DELETE FROM reports WHERE reason = 'edited';
ALTER TABLE reports ADD CONSTRAINT reports_reason_check
    CHECK (reason IN ('spam', 'hateful', 'misleading', 'personal_data', 'other'));
ALTER TABLE reports DROP CONSTRAINT reports_reason_wider_check;
