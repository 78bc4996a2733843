-- wrk script: StartExecution of a STANDARD state machine (durable), a unique execution name per
-- request: RUN_ID (env) .. "-" .. wrk thread .. "-" .. a per-thread counter.
-- STATE_MACHINE_ARN (env) names the machine; the input is the seed workflow's {"type":"B"};
-- AUTHORIZATION (env), when set, is sent as the Authorization header.
local arn = os.getenv("STATE_MACHINE_ARN") or error("STATE_MACHINE_ARN is not set")
local run_id = os.getenv("RUN_ID") or tostring(os.time())
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local counter = 0
local head = '{"stateMachineArn":"' .. arn .. '","input":"{\\"type\\":\\"B\\"}","name":"'
local headers = {
  ["Content-Type"] = "application/x-amz-json-1.0",
  ["X-Amz-Target"] = "AWSStepFunctions.StartExecution",
}
-- moto routes a request to a service by the credential scope of its Authorization header.
if os.getenv("AUTHORIZATION") then
  headers["Authorization"] = os.getenv("AUTHORIZATION")
end

function request()
  counter = counter + 1
  local body = head .. run_id .. "-" .. tid .. "-" .. counter .. '"}'
  return wrk.format("POST", "/", headers, body)
end

dofile((os.getenv("BENCH_DIR") or "bench") .. "/report.lua")
