DROP TABLE withdraw_tokens;
