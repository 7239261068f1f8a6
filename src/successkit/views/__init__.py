"""Read-only views over many records: Company 360, Gantt charts, DataFrames and record lists."""
