-- wrk script: StartSyncExecution of an EXPRESS state machine (AWS JSON 1.0, unsigned).
-- STATE_MACHINE_ARN (env) names the machine, or a version or alias of it; INPUT (env) is the
-- execution input, by default the seed workflow's {"type":"B"}.
-- done() prints one JSON line (prefixed "WRK_JSON ") for bench/run_wrk.py.
local arn = os.getenv("STATE_MACHINE_ARN") or error("STATE_MACHINE_ARN is not set")
local input = os.getenv("INPUT") or '{"type":"B"}'
wrk.method = "POST"
wrk.path = "/"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AWSStepFunctions.StartSyncExecution"
wrk.body = '{"stateMachineArn":"' .. arn .. '","input":"' .. input:gsub('"', '\\"') .. '"}'

dofile((os.getenv("BENCH_DIR") or "bench") .. "/report.lua")
