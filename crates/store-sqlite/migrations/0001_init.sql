-- Version 1: state machines, activities, executions with their journals and histories, tags.
-- Times are epoch milliseconds (BIGINT); documents are JSON text. The SQL sticks to what
-- PostgreSQL also accepts, so that a later backend can share it.

CREATE TABLE state_machines (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    machine_type TEXT NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    revision_id TEXT NOT NULL,
    description TEXT,
    logging_configuration TEXT,
    tracing_configuration TEXT
);

-- ListStateMachines pages in order of name, then ARN.
CREATE INDEX state_machines_by_name ON state_machines (name, arn);

CREATE TABLE activities (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

-- ListActivities pages in order of name, then ARN.
CREATE INDEX activities_by_name ON activities (name, arn);

-- `id` is a short key for the journal and history rows, which would otherwise repeat the ARN.
-- `last_seq` and `last_event_id` let a step be checked without reading the journal.
-- The end columns are all NULL while the execution runs; `end_status` is set when it ends.
CREATE TABLE executions (
    id INTEGER PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    state_machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    start_ms BIGINT NOT NULL,
    seed BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    last_event_id BIGINT NOT NULL,
    end_status TEXT,
    end_output TEXT,
    end_error TEXT,
    end_cause TEXT,
    end_stop_ms BIGINT
);

-- ListExecutions: newest first, then by ARN; by state machine, with or without a status.
CREATE INDEX executions_by_machine_status ON executions (state_machine_arn, status, start_ms DESC, arn);
CREATE INDEX executions_by_machine ON executions (state_machine_arn, start_ms DESC, arn);
CREATE INDEX executions_by_start ON executions (start_ms DESC, arn);

-- What to resume after a restart: a partial index holds only the executions still running.
CREATE INDEX executions_open ON executions (arn) WHERE end_status IS NULL;

-- The primary keys are the indexes: journal by (execution, seq), history by (execution, id).
CREATE TABLE journal (
    execution_id BIGINT NOT NULL REFERENCES executions (id),
    seq BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    input TEXT NOT NULL,
    PRIMARY KEY (execution_id, seq)
);

CREATE TABLE history (
    execution_id BIGINT NOT NULL REFERENCES executions (id),
    event_id BIGINT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (execution_id, event_id)
);

-- Tags belong to any ARN, existing or not, as in the in-memory backend.
CREATE TABLE tags (
    arn TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (arn, tag_key)
);
