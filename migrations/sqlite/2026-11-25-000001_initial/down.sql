DROP TABLE outgoing_emails; DROP TABLE petition_counters; DROP TABLE signatures; DROP TABLE petitions; DROP TABLE sessions; DROP TABLE api_tokens; DROP TABLE organizers; DROP TABLE organizations;
