"""Success plans and the work inside them: objectives, CTAs, tasks, playbooks, templates, cloning."""
