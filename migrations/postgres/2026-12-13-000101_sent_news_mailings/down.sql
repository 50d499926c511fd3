DROP INDEX sent_signatures_petition_id_idx;
DROP TABLE sent_news_mailings;
