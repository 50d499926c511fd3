DROP TABLE petition_responses;
