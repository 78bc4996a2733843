-- Version 1: the whole schema of the SQLite backend at its version 7, in PostgreSQL's words.
-- Times are epoch milliseconds (BIGINT); documents are JSON text. Text compares byte by byte
-- (COLLATE "C"), as SQLite's does, so that lists page in the same order on both backends.

CREATE TABLE state_machines (
    arn TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
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
CREATE INDEX state_machines_by_name ON state_machines (name, arn);

CREATE TABLE activities (
    arn TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX activities_by_name ON activities (name, arn);

CREATE TABLE executions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    arn TEXT COLLATE "C" NOT NULL UNIQUE,
    state_machine_arn TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
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
    end_stop_ms BIGINT,
    state_machine_version_arn TEXT COLLATE "C",
    state_machine_alias_arn TEXT COLLATE "C",
    test_case TEXT,
    redrive_count BIGINT NOT NULL DEFAULT 0,
    redrive_ms BIGINT
);
CREATE INDEX executions_by_machine_status ON executions (state_machine_arn, status, start_ms DESC, arn);
CREATE INDEX executions_by_machine ON executions (state_machine_arn, start_ms DESC, arn);
CREATE INDEX executions_by_start ON executions (start_ms DESC, arn);
CREATE INDEX executions_open ON executions (arn) WHERE end_status IS NULL;
CREATE INDEX executions_by_version ON executions (state_machine_version_arn, start_ms DESC, arn)
    WHERE state_machine_version_arn IS NOT NULL;
CREATE INDEX executions_by_alias ON executions (state_machine_alias_arn, start_ms DESC, arn)
    WHERE state_machine_alias_arn IS NOT NULL;

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

CREATE TABLE tags (
    arn TEXT COLLATE "C" NOT NULL,
    tag_key TEXT COLLATE "C" NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (arn, tag_key)
);

CREATE TABLE state_machine_versions (
    arn TEXT COLLATE "C" PRIMARY KEY,
    state_machine_arn TEXT COLLATE "C" NOT NULL,
    number BIGINT NOT NULL,
    revision_id TEXT NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    logging_configuration TEXT,
    tracing_configuration TEXT,
    description TEXT,
    created_ms BIGINT NOT NULL,
    UNIQUE (state_machine_arn, number)
);

CREATE TABLE version_counters (
    state_machine_arn TEXT COLLATE "C" PRIMARY KEY,
    last_number BIGINT NOT NULL
);

CREATE TABLE state_machine_aliases (
    arn TEXT COLLATE "C" PRIMARY KEY,
    state_machine_arn TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    description TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE INDEX aliases_by_machine ON state_machine_aliases (state_machine_arn, created_ms, name);

CREATE TABLE alias_routes (
    alias_arn TEXT COLLATE "C" NOT NULL,
    position BIGINT NOT NULL,
    version_arn TEXT COLLATE "C" NOT NULL,
    weight BIGINT NOT NULL,
    PRIMARY KEY (alias_arn, position)
);
CREATE INDEX alias_routes_by_version ON alias_routes (version_arn);

CREATE TABLE metric_rows (
    namespace TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    dimensions TEXT COLLATE "C" NOT NULL,
    bucket_ms BIGINT NOT NULL,
    unit TEXT NOT NULL,
    sample_values TEXT NOT NULL,
    PRIMARY KEY (namespace, name, dimensions, bucket_ms)
);
CREATE INDEX metric_rows_by_bucket ON metric_rows (bucket_ms);

CREATE TABLE alarms (
    name TEXT COLLATE "C" PRIMARY KEY,
    config TEXT NOT NULL,
    config_updated_ms BIGINT NOT NULL,
    state_value TEXT NOT NULL,
    state_reason TEXT NOT NULL,
    state_reason_data TEXT,
    state_updated_ms BIGINT NOT NULL
);

CREATE TABLE alarm_history (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alarm_name TEXT COLLATE "C" NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    item_type TEXT NOT NULL,
    summary TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX alarm_history_by_alarm ON alarm_history (alarm_name, seq);

CREATE TABLE deployments (
    id TEXT COLLATE "C" PRIMARY KEY,
    state_machine_arn TEXT COLLATE "C" NOT NULL,
    alias_arn TEXT COLLATE "C" NOT NULL,
    origin_version_arn TEXT,
    target_version_arn TEXT NOT NULL,
    preference TEXT NOT NULL,
    status TEXT NOT NULL,
    state TEXT NOT NULL,
    timeline TEXT NOT NULL,
    seq BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    next_tick_ms BIGINT
);
CREATE INDEX deployments_newest_first ON deployments (created_ms DESC, id);
CREATE INDEX deployments_by_machine ON deployments (state_machine_arn, created_ms DESC, id);
CREATE INDEX deployments_by_alias ON deployments (alias_arn, created_ms DESC, id);
CREATE INDEX deployments_open ON deployments (status) WHERE status IN ('PENDING', 'IN_PROGRESS');

CREATE TABLE stacks (
    name TEXT COLLATE "C" PRIMARY KEY,
    stack_id TEXT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT,
    client_request_token TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    document TEXT NOT NULL,
    revision BIGINT NOT NULL
);

CREATE TABLE stack_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stack_name TEXT COLLATE "C" NOT NULL,
    event_id TEXT NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX stack_events_newest_first ON stack_events (stack_name, seq DESC);
