-- Several nodes on one database (issue 13): who is alive, who drives which execution, and
-- where each task token was handed out.

-- The database's clock, in epoch milliseconds: leases are compared against it alone, so the
-- nodes' own clocks may disagree.
CREATE FUNCTION switchback_now_ms() RETURNS BIGINT
    LANGUAGE sql VOLATILE
    AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT $$;

-- A node's lease: alive while `expires_ms` is ahead of the database's clock. Ids are never
-- reused, so a node that lost its lease and joins again is another node.
CREATE TABLE nodes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT,
    pid BIGINT NOT NULL,
    started_ms BIGINT NOT NULL,
    heartbeat_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);

-- The node that drives an open execution; NULL for nobody (a node stopped cleanly, or the
-- execution is older than this migration), so that any live node may claim it.
ALTER TABLE executions ADD COLUMN owner BIGINT;
CREATE INDEX executions_open_by_owner ON executions (owner, id) WHERE end_status IS NULL;

-- The task tokens of open executions (activities, callbacks), written with the step that hands
-- them out: a node that receives SendTask* for a token it does not know finds the execution.
-- Activity tasks are offered to the workers polling any node: the first node to take a token
-- (`taken_by`) has its worker start it; a task whose taker died before it started is offered
-- again, one that started never is.
CREATE TABLE task_tokens (
    token TEXT COLLATE "C" PRIMARY KEY,
    execution_id BIGINT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    activity_arn TEXT COLLATE "C",
    scheduled BIGINT GENERATED ALWAYS AS IDENTITY,
    taken_by BIGINT,
    started BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX task_tokens_by_execution ON task_tokens (execution_id);
CREATE INDEX task_tokens_waiting ON task_tokens (activity_arn, scheduled) WHERE NOT started;

-- The node that drives an open deployment, as for executions.
ALTER TABLE deployments ADD COLUMN owner BIGINT;

-- Each node's metric rows as it flushed them, kept for two minutes: the other nodes add them
-- to their own series, so that any node answers metric queries and alarms for all.
CREATE TABLE metric_deltas (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    node BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    rows TEXT NOT NULL
);
CREATE INDEX metric_deltas_by_time ON metric_deltas (created_ms);
