DROP TABLE milestone_messages;
