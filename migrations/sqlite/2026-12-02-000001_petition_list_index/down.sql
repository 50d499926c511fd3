DROP INDEX petitions_status_id_idx;
