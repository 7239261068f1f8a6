"""Reports and dashboards (REPORT_02-REPORT_05): charts, saved reports, standard dashboards, digests."""
