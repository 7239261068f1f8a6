"""Working with customers: the timeline, sharing, access decisions and notifications."""
