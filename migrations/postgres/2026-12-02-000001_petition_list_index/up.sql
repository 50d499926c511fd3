-- The API's list walks open petitions by id (a keyset page, newest first): with this index
-- a page reads its rows and no more, instead of sorting every open petition by id.
CREATE INDEX petitions_status_id_idx ON petitions (status, id);
