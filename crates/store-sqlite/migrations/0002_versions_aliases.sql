-- Version 2: published versions and aliases of state machines (issue 4), and the version and
-- alias an execution was started through.

-- A version is an immutable copy of one revision; `number` is 1, 2, 3, ... per machine.
CREATE TABLE state_machine_versions (
    arn TEXT PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
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

-- The last number each machine used: numbers are never reused, even after a delete.
CREATE TABLE version_counters (
    state_machine_arn TEXT PRIMARY KEY,
    last_number BIGINT NOT NULL
);

-- ListStateMachineAliases pages in order of creation, then name.
CREATE TABLE state_machine_aliases (
    arn TEXT PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);

CREATE INDEX aliases_by_machine ON state_machine_aliases (state_machine_arn, created_ms, name);

-- An alias's routing, one row per entry in the order given.
CREATE TABLE alias_routes (
    alias_arn TEXT NOT NULL,
    position BIGINT NOT NULL,
    version_arn TEXT NOT NULL,
    weight BIGINT NOT NULL,
    PRIMARY KEY (alias_arn, position)
);

CREATE INDEX alias_routes_by_version ON alias_routes (version_arn);

ALTER TABLE executions ADD COLUMN state_machine_version_arn TEXT;
ALTER TABLE executions ADD COLUMN state_machine_alias_arn TEXT;

CREATE INDEX executions_by_version ON executions (state_machine_version_arn, start_ms DESC, arn)
    WHERE state_machine_version_arn IS NOT NULL;
CREATE INDEX executions_by_alias ON executions (state_machine_alias_arn, start_ms DESC, arn)
    WHERE state_machine_alias_arn IS NOT NULL;
