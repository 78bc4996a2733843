-- wrk script: StartSyncExecution of an EXPRESS state machine (AWS JSON 1.0, unsigned).
-- STATE_MACHINE_ARN (env) names the machine; the input is the seed workflow's {"type":"B"}.
-- done() prints one JSON line (prefixed "WRK_JSON ") for bench/run_wrk.py.
local arn = os.getenv("STATE_MACHINE_ARN") or error("STATE_MACHINE_ARN is not set")
wrk.method = "POST"
wrk.path = "/"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AWSStepFunctions.StartSyncExecution"
wrk.body = '{"stateMachineArn":"' .. arn .. '","input":"{\\"type\\":\\"B\\"}"}'

dofile((os.getenv("BENCH_DIR") or "bench") .. "/report.lua")
