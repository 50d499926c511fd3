DROP TABLE petition_origin_counts;
DROP TABLE remote_signatures;
