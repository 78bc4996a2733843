-- wrk script for the bare endpoint (crates/api/examples/bare.rs): the same request shape as
-- start_sync.lua, answered with a fixed document.
wrk.method = "POST"
wrk.path = "/"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AWSStepFunctions.StartSyncExecution"
wrk.body = '{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:bare","input":"{\\"type\\":\\"B\\"}"}'

dofile((os.getenv("BENCH_DIR") or "bench") .. "/report.lua")
