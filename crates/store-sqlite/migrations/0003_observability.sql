-- Version 3: metric aggregates, metric alarms and their history (issue 5).

-- One metric's samples in one bucket: every distinct value with its count, as
-- `value:count` pairs separated by `;`. `dimensions` is the sorted dimension set, each pair
-- `name<US>value` and pairs separated by `<RS>` (ASCII 0x1f and 0x1e, which CloudWatch refuses
-- in names and values).
CREATE TABLE metric_rows (
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    dimensions TEXT NOT NULL,
    bucket_ms BIGINT NOT NULL,
    unit TEXT NOT NULL,
    sample_values TEXT NOT NULL,
    PRIMARY KEY (namespace, name, dimensions, bucket_ms)
);

-- Pruning and the start-up load go by time.
CREATE INDEX metric_rows_by_bucket ON metric_rows (bucket_ms);

CREATE TABLE alarms (
    name TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    config_updated_ms BIGINT NOT NULL,
    state_value TEXT NOT NULL,
    state_reason TEXT NOT NULL,
    state_reason_data TEXT,
    state_updated_ms BIGINT NOT NULL
);

-- `seq` keeps the order of items recorded in the same millisecond.
CREATE TABLE alarm_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alarm_name TEXT NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    item_type TEXT NOT NULL,
    summary TEXT NOT NULL,
    data TEXT NOT NULL
);

CREATE INDEX alarm_history_by_alarm ON alarm_history (alarm_name, seq);
