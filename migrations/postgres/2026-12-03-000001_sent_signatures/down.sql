DROP TABLE sent_withdraw_tokens;
DROP TABLE sent_signatures;
ALTER TABLE remote_petitions DROP COLUMN inbox;
ALTER TABLE remote_petitions DROP COLUMN ask_postal_code;
ALTER TABLE remote_petitions DROP COLUMN ask_country;
