"""Customer signals: product usage (and, next, surveys, activity fields, attribute history)."""
