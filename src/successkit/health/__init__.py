"""Health scorecards: measures, scorecards, their scores, history and overrides (SCORE_01-SCORE_11)."""
