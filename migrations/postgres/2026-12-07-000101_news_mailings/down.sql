DROP INDEX signatures_petition_id_idx;
DROP TABLE news_mailings;
