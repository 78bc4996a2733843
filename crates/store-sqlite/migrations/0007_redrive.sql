-- Version 7: RedriveExecution. How many times an execution was redriven, and when last.
ALTER TABLE executions ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN redrive_ms INTEGER;
