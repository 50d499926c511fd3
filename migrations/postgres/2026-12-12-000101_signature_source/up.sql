-- How a signer reached the sign form (issue 11's insight): the petition's page, the
-- embedded widget, or a link shared from the page's share box. Counted without cookies.
ALTER TABLE signatures ADD COLUMN source TEXT NOT NULL DEFAULT 'direct';
