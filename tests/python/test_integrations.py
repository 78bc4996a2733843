"""The HTTP Task and Lambda functions against local endpoints, through boto3 and the aws CLI."""
import json
import os
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import ROLE, make_client, running_server
from test_api import unique, wait_done

CONNECTION = "arn:aws:events:us-east-1:123456789012:connection/shop/1"


class Handler(BaseHTTPRequestHandler):
    """An order API (GET /orders/<id>) and a Lambda Invoke endpoint (functions `double`, `fail`)."""

    def log_message(self, *args):
        pass

    def answer(self, status, document, headers=()):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/orders/"):
            order = self.path.split("/")[2].split("?")[0]
            if order == "404":
                return self.answer(404, {"error": "no such order"})
            return self.answer(200, {"order": order, "items": 3,
                                     "key": self.headers.get("x-api-key")})
        self.answer(404, {})

    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        payload = json.loads(self.rfile.read(length) or b"{}")
        parts = self.path.split("/")
        if self.path.startswith("/2015-03-31/functions/") and parts[-1] == "invocations":
            name = parts[3]
            if name == "double":
                return self.answer(200, {"total": payload["items"] * 2})
            if name == "fail":
                return self.answer(200, {"errorType": "OutOfStock", "errorMessage": "none left"},
                                   headers=[("X-Amz-Function-Error", "Unhandled")])
        self.answer(404, {"message": "Function not found"})


@pytest.fixture(scope="module")
def endpoints():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def sfn_with_integrations(binary, endpoints):
    folder = tempfile.mkdtemp(prefix="switchback-connections-")
    connections = os.path.join(folder, "connections.json")
    with open(connections, "w") as f:
        json.dump({"Connections": {CONNECTION: {
            "AuthorizationType": "API_KEY",
            "AuthParameters": {"ApiKeyAuthParameters": {
                "ApiKeyName": "x-api-key", "ApiKeyValue": "from-the-file"}}}}}, f)
    extra = ("--time-scale", "100", "--lambda-endpoint", endpoints, "--connections", connections)
    with running_server(binary, "switchback-integrations-", extra) as srv:
        yield make_client(srv.endpoint)


def workflow(endpoints, function="double"):
    return {"StartAt": "Fetch", "States": {
        "Fetch": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                  "Parameters": {"ApiEndpoint.$": f"States.Format('{endpoints}/orders/{{}}', $.order)",
                                 "Method": "GET",
                                 "Authentication": {"ConnectionArn": CONNECTION}},
                  "ResultSelector": {"items.$": "$.ResponseBody.items",
                                     "key.$": "$.ResponseBody.key"},
                  "Next": "Price"},
        "Price": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {"FunctionName": function, "Payload.$": "$"},
                  "OutputPath": "$.Payload", "End": True}}}


def test_an_http_task_then_a_lambda_function(sfn_with_integrations, endpoints):
    sfn = sfn_with_integrations
    arn = sfn.create_state_machine(name=unique("shop"), roleArn=ROLE,
                                   definition=json.dumps(workflow(endpoints)))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input='{"order": "7"}')["executionArn"]
    described = wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"total": 6}
    events = sfn.get_execution_history(executionArn=execution)["events"]
    fetched = next(e for e in events if e["type"] == "TaskSucceeded")
    response = json.loads(fetched["taskSucceededEventDetails"]["output"])
    assert response["StatusCode"] == 200
    assert response["ResponseBody"]["key"] == "from-the-file"


def test_errors_of_both(sfn_with_integrations, endpoints):
    sfn = sfn_with_integrations
    arn = sfn.create_state_machine(name=unique("shop"), roleArn=ROLE,
                                   definition=json.dumps(workflow(endpoints)))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input='{"order": "404"}')["executionArn"]
    described = wait_done(sfn, execution)
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Http.StatusCode.404"

    arn = sfn.create_state_machine(name=unique("shop"), roleArn=ROLE,
                                   definition=json.dumps(workflow(endpoints, "fail")))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input='{"order": "1"}')["executionArn"]
    described = wait_done(sfn, execution)
    assert described["error"] == "OutOfStock"
    assert json.loads(described["cause"])["errorMessage"] == "none left"


def test_test_state_calls_an_http_task_for_real(sfn_with_integrations, endpoints):
    sfn = sfn_with_integrations
    state = {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
             "Parameters": {"ApiEndpoint": f"{endpoints}/orders/5", "Method": "GET",
                            "Authentication": {"ConnectionArn": CONNECTION}},
             "ResultSelector": {"items.$": "$.ResponseBody.items"}, "End": True}
    answer = sfn.test_state(definition=json.dumps(state), input="{}", inspectionLevel="TRACE")
    assert answer["status"] == "SUCCEEDED", answer
    assert json.loads(answer["output"]) == {"items": 3}
    data = answer["inspectionData"]
    assert json.loads(data["result"])["StatusCode"] == 200
    request, response = data["request"], data["response"]
    assert request["method"] == "GET"
    assert request["url"] == f"{endpoints}/orders/5"
    assert "from-the-file" not in request["headers"]
    assert response["statusCode"] == "200"
    assert json.loads(response["body"])["key"] == "from-the-file"

    revealed = sfn.test_state(definition=json.dumps(state), input="{}", inspectionLevel="TRACE",
                              revealSecrets=True)
    assert "x-api-key: from-the-file" in revealed["inspectionData"]["request"]["headers"]

    with pytest.raises(Exception) as refused:
        sfn.test_state(definition=json.dumps(state), input="{}", inspectionLevel="DEBUG",
                       revealSecrets=True)
    assert "revealSecrets" in str(refused.value)

    # A status code error is the state's error, caught or not.
    missing = dict(state, Parameters=dict(state["Parameters"], ApiEndpoint=f"{endpoints}/orders/404"))
    failed = sfn.test_state(definition=json.dumps(missing), input="{}")
    assert failed["status"] == "FAILED"
    assert failed["error"] == "States.Http.StatusCode.404"


def test_test_state_of_a_service_switchback_does_not_run_needs_a_mock(sfn_with_integrations):
    state = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
             "Parameters": {"TableName": "t"}, "End": True}
    with pytest.raises(Exception) as refused:
        sfn_with_integrations.test_state(definition=json.dumps(state), input="{}")
    assert "give a mock" in str(refused.value)
