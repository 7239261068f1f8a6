"""The query language: what callers write (:mod:`.language`), its binding to a kind's
schema (:mod:`.bind`), the reference semantics (:mod:`.evaluate`) and the schema of every
record kind (:mod:`.schema`)."""
