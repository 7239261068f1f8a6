"""Automation: stored rules and their bulk run, solution bundles and the bundles that ship."""
