-- A "+tag" is now stripped from the canonical email only for the providers that ignore it
-- (signons_signature::signer::PLUS_ADDRESSING, kept in step with this list); elsewhere
-- "a+b@" may be the mailbox of another person. Canonical forms computed the old way are made
-- again; the digest of a confirmed signature (made from the canonical email) is then computed
-- again at start. The canonical form elsewhere is the address in lower case.
UPDATE signatures SET email_canonical = lower(email), digest = NULL
WHERE email LIKE '%+%' AND anonymized_at IS NULL
  AND lower(substr(email, instr(email, '@') + 1)) NOT IN ('gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com',
    'icloud.com', 'me.com', 'mac.com', 'fastmail.com', 'fastmail.fm', 'proton.me',
    'protonmail.com', 'pm.me', 'posteo.de', 'posteo.net', 'mailbox.org');

UPDATE sent_signatures SET email_canonical = lower(email)
WHERE email LIKE '%+%'
  AND lower(substr(email, instr(email, '@') + 1)) NOT IN ('gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com',
    'icloud.com', 'me.com', 'mac.com', 'fastmail.com', 'fastmail.fm', 'proton.me',
    'protonmail.com', 'pm.me', 'posteo.de', 'posteo.net', 'mailbox.org');
