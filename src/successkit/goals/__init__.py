"""Customer goals: the goals, the goal library and the goal list view."""
