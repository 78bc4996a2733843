-- Version 5: stacks applied by `switchback deploy` (issue 7) and their events. `document` holds
-- the template, parameters, outputs and resources as one JSON object; `revision` counts writes.
CREATE TABLE stacks (
    name TEXT PRIMARY KEY,
    stack_id TEXT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT,
    client_request_token TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    document TEXT NOT NULL,
    revision BIGINT NOT NULL
);

-- `seq` orders a stack's events (newest first when read).
CREATE TABLE stack_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    stack_name TEXT NOT NULL,
    event_id TEXT NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    json TEXT NOT NULL
);

CREATE INDEX stack_events_newest_first ON stack_events (stack_name, seq DESC);
