-- Version 4: gradual deployments of aliases (issue 6). `state` is the rollout reducer's whole
-- state (its versioned JSON); the other columns are copied out of it for listing and recovery.
CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    alias_arn TEXT NOT NULL,
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
