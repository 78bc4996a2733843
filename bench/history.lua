-- wrk script: GetExecutionHistory of one execution, a page of up to 1,000 events.
-- EXECUTION_ARN (env) names the execution.
local arn = os.getenv("EXECUTION_ARN") or error("EXECUTION_ARN is not set")
wrk.method = "POST"
wrk.path = "/"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AWSStepFunctions.GetExecutionHistory"
wrk.body = '{"executionArn":"' .. arn .. '","maxResults":1000}'

dofile((os.getenv("BENCH_DIR") or "bench") .. "/report.lua")
