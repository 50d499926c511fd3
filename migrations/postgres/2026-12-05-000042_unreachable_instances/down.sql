DROP TABLE ap_unreachable_instances;
