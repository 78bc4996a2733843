"""The web console in a real headless Chromium (Debian's, driven by Playwright), against a real
server with real data: the seed scenario's rollback on the deployment page, an execution's
graph with its path coloured, the executions filters, the versions diff, live updates, signing
in on a server with --credentials, and the keyboard.

Chromium is /usr/bin/chromium (scripts/test installs Debian's package when it is missing); the
test fails, not skips, when it is absent.
"""
import json
import os
import re
import shutil
import tempfile
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect, sync_playwright

import console_data
from conftest import make_client, running_server

CHROMIUM = os.environ.get("SWITCHBACK_CHROMIUM", "/usr/bin/chromium")
# As the machine's notes give them: without the background-networking flags Chromium keeps
# reaching for Google's hosts, which this closed network refuses.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ORDERS = "arn:aws:states:us-east-1:123456789012:stateMachine:Orders"
AXE = os.path.join(os.path.dirname(__file__), "..", "console", "node_modules", "axe-core",
                   "axe.min.js")


def fragment(arn):
    return urllib.parse.quote(arn, safe="")


@pytest.fixture(scope="module")
def browser():
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: apt-get install -y chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def world(binary):
    """A server holding the seed scenario's rollback and the Orders machine."""
    with running_server(binary, "switchback-console-") as srv:
        tmp = tempfile.mkdtemp(prefix="switchback-console-seed-")
        try:
            machine, failed, recovered, succeeded = console_data.orders(srv.endpoint)
            console_data.seed_rollback(binary, srv.endpoint, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        srv.failed, srv.recovered, srv.succeeded = failed, recovered, succeeded
        yield srv


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    opened = context.new_page()
    errors = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, errors


def switchback(endpoint, operation, body):
    request = urllib.request.Request(
        endpoint + "/", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/x-amz-json-1.0",
                 "X-Amz-Target": f"Switchback.{operation}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def test_the_seed_rollback_on_the_deployment_page(world, page):
    page.goto(f"{world.endpoint}/console/#/deployments")
    row = page.locator("table tbody tr", has_text="SampleAliasMachine:main")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("ROLLED_BACK")
    row.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text("Deployment of SampleAliasMachine:main")
    expect(page.locator(".cards")).to_contain_text("ROLLED_BACK")
    expect(page.locator(".cards")).to_contain_text("v1 → v2")
    # The steps: started, shifted to 50 %, the alarm, the rollback, each on the timeline and
    # marked on the traffic chart.
    timeline = page.locator("#timeline li")
    expect(timeline.filter(has_text="Shifted: v1 50 %, v2 50 %")).to_have_count(1)
    expect(timeline.filter(has_text=re.compile(r"Alarm seed-AliasStateMachineFailureAlarm-\S+ is ALARM"))).to_have_count(1)
    expect(timeline.filter(has_text="Rolled back: v1 100 %")).to_have_count(1)
    chart = page.locator("#traffic-chart svg")
    expect(chart.locator("line.marker")).to_have_count(2)
    expect(chart.locator("line.marker-end")).to_have_count(1)
    expect(chart.locator("rect.band-ALARM")).to_have_count(1)
    # The alarm that rolled it back, in ALARM, with CloudWatch's reason.
    alarm = page.locator("table tr", has_text="seed-AliasStateMachineFailureAlarm-")
    expect(alarm.first).to_contain_text("ALARM")
    expect(alarm.first).to_contain_text("Threshold Crossed")
    # Executions of each version during the deployment: v2's all failed.
    totals = page.locator("table tr", has_text=re.compile(r"^v2"))
    cells = totals.first.locator("td")
    expect(cells.nth(0)).to_have_text("v2")
    assert int(cells.nth(1).inner_text()) > 0
    assert cells.nth(1).inner_text() == cells.nth(2).inner_text()
    expect(page.locator("figure.chart", has_text="Executions of v2").locator("rect.bar-fail").first).to_be_attached()


def test_an_execution_page_colours_the_failed_path(world, page):
    page.goto(f"{world.endpoint}/console/#/executions/{fragment(world.failed)}")
    expect(page.locator(".cards")).to_contain_text("FAILED")
    expect(page.get_by_role("alert")).to_contain_text("Order.Invalid")
    expect(page.get_by_role("alert")).to_contain_text("the order was refused")
    graph = page.locator("#execution-graph svg")
    expect(graph.locator('g.node[data-state="Reject"]')).to_have_class(re.compile(r"\bfailed\b"))
    for name in ("Validate", "Route"):
        expect(graph.locator(f'g.node[data-state="{name}"]')).to_have_class(re.compile(r"\bsucceeded\b"))
    for name in ("Charge", "Pack", "Ship", "Done"):
        expect(graph.locator(f'g.node[data-state="{name}"]')).not_to_have_class(
            re.compile(r"succeeded|failed|caught|running"))
    steps = page.locator("#steps tbody tr")
    expect(steps).to_have_count(3)
    expect(steps.nth(2).locator("td").first).to_have_text("Reject")
    expect(steps.nth(2)).to_contain_text("failed")
    events = page.locator("table", has=page.locator("caption", has_text="Event history")).locator("tbody tr")
    expect(events.last).to_contain_text("ExecutionFailed")

    # A caught error: the Parallel's branch failed, its Catch went on to Recover.
    page.goto(f"{world.endpoint}/console/#/executions/{fragment(world.recovered)}")
    expect(page.locator(".cards")).to_contain_text("SUCCEEDED")
    graph = page.locator("#execution-graph svg")
    expect(graph.locator('g.node[data-state="Charge"]')).to_have_class(re.compile(r"\bcaught\b"))
    expect(graph.locator('g.node[data-state="Card"]')).to_have_class(re.compile(r"\bfailed\b"))
    for name in ("Recover", "Pack", "Ship", "Done"):
        expect(graph.locator(f'g.node[data-state="{name}"]')).to_have_class(re.compile(r"\bsucceeded\b"))
    expect(graph.locator('g.node[data-state="Reject"]')).not_to_have_class(re.compile(r"failed"))
    # Input and output of each step are there to read.
    recover = page.locator('#steps tr[data-state="Recover"]')
    recover.locator("summary", has_text="output").click()
    expect(recover.locator("pre").last).to_contain_text("invoice sent")


def test_the_executions_filters(world, page):
    sfn = make_client(world.endpoint)
    everything = sfn.list_executions(stateMachineArn=ORDERS)["executions"]
    page.goto(f"{world.endpoint}/console/#/executions")
    rows = page.locator("#executions tbody tr")
    page.get_by_label("State machine").select_option(label="Orders")
    expect(page.get_by_label("Version")).to_contain_text("v2")
    expect(rows).to_have_count(len(everything))
    page.get_by_label("Status").select_option("FAILED")
    failed = [item for item in everything if item["status"] == "FAILED"]
    expect(rows).to_have_count(len(failed))
    for index in range(len(failed)):
        expect(rows.nth(index)).to_contain_text("FAILED")
    page.get_by_label("Status").select_option("")
    expect(rows).to_have_count(len(everything))
    page.get_by_label("Alias").select_option("live")
    through_live = sfn.list_executions(stateMachineArn=f"{ORDERS}:live")["executions"]
    expect(rows).to_have_count(len(through_live))
    for index in range(len(through_live)):
        expect(rows.nth(index).locator("td").nth(4)).to_have_text("live")
    page.get_by_label("Alias").select_option("")
    page.get_by_label("Version").select_option("2")
    of_v2 = sfn.list_executions(stateMachineArn=f"{ORDERS}:2")["executions"]
    assert of_v2, "the data holds executions of version 2"
    expect(rows).to_have_count(len(of_v2))
    for index in range(len(of_v2)):
        expect(rows.nth(index).locator("td").nth(3)).to_have_text("v2")
    # A start time after every execution leaves nothing.
    page.get_by_label("Started after").fill("2999-01-01T00:00")
    page.get_by_role("button", name="Apply times").click()
    expect(page.locator("#execution-count")).to_have_text("No executions match.")
    expect(rows).to_have_count(0)
    page.get_by_role("button", name="Clear filters").click()
    expect(page.get_by_label("State machine")).to_have_value("")


def test_the_state_machines_list_shows_routing_and_failure_rates(world, page):
    page.goto(f"{world.endpoint}/console/")
    orders = page.locator("table tbody tr", has_text="Orders")
    expect(orders.get_by_role("img", name="v1: 80 %, v2: 20 %")).to_be_visible()
    expect(orders).to_contain_text("STANDARD")
    expect(orders).to_contain_text("2 (latest v2)")
    seed = page.locator("table tbody tr", has_text="SampleAliasMachine")
    expect(seed.get_by_role("img", name="v1: 100 %")).to_be_visible()
    # Version 2 of the seed failed every execution it ran during the deployment.
    expect(seed).to_contain_text(re.compile(r"v2: 100 % of \d+"))
    expect(seed).to_contain_text(re.compile(r"v1: 0 % of \d+"))


def test_versions_side_by_side(world, page):
    page.goto(f"{world.endpoint}/console/#/machines/{fragment(ORDERS)}")
    expect(page.locator(".graph svg g.node[data-state='Charge']")).to_be_visible()
    page.get_by_role("tab", name="Compare versions").click()
    expect(page.get_by_text("States that differ, marked on both graphs: Ship")).to_be_visible()
    expect(page.locator(".diff td.add", has_text='"carrier": "rail"')).to_have_count(1)
    expect(page.locator(".side .graph g.node.changed[data-state='Ship']")).to_have_count(2)
    page.get_by_label("Right").select_option(label="version 1")
    expect(page.get_by_text("The definitions are the same.")).to_be_visible()


def test_a_running_deployment_updates_live(world, page):
    sfn = make_client(world.endpoint)
    sfn.update_state_machine_alias(
        stateMachineAliasArn=f"{ORDERS}:live",
        routingConfiguration=[{"stateMachineVersionArn": f"{ORDERS}:1", "weight": 100}])
    started = switchback(world.endpoint, "StartDeployment", {
        "stateMachineAliasArn": f"{ORDERS}:live", "targetVersionArn": f"{ORDERS}:2",
        "deploymentPreference": {"type": "LINEAR", "percentage": 10, "interval": 200}})
    assert started["status"] == "IN_PROGRESS", started
    page.goto(f"{world.endpoint}/console/#/deployments/{started['deploymentId']}")
    expect(page.locator(".cards")).to_contain_text("IN_PROGRESS")
    expect(page.locator(".cards")).to_contain_text("10 %")
    switchback(world.endpoint, "StopDeployment", {"deploymentId": started["deploymentId"],
                                                  "cause": "stopped by the console test"})
    # No reload: the page polls while the deployment runs.
    expect(page.locator(".cards")).to_contain_text("STOPPED", timeout=10000)
    expect(page.locator("#timeline")).to_contain_text("Rolled back")


def test_a_running_execution_is_drawn_in_progress_and_updates(world, page):
    """A Map with a Parallel inside is drawn as nested groups; while the execution waits in
    Linger that state is in progress, and when it is stopped the page shows it without a
    reload."""
    execution = console_data.batch(world.endpoint, linger=100_000)
    page.goto(f"{world.endpoint}/console/#/executions/{fragment(execution)}")
    graph = page.locator("#execution-graph svg")
    expect(graph.locator('g.node[data-state="Linger"]')).to_have_class(re.compile(r"\brunning\b"))
    expect(graph.locator("g.cluster", has_text="Items (Map)")).to_have_count(1)
    expect(graph.locator("g.cluster", has_text="Item processor")).to_have_count(1)
    expect(graph.locator("g.cluster", has_text="Both (Parallel)")).to_have_count(1)
    expect(graph.locator("g.cluster", has_text=re.compile(r"^Branch \d$"))).to_have_count(2)
    for name in ("Items", "Both", "Left", "Right"):
        expect(graph.locator(f'g.node[data-state="{name}"]')).to_have_class(re.compile(r"\bsucceeded\b"))
    expect(graph.locator('g.node[data-state="Finish"]')).not_to_have_class(re.compile(r"succeeded|running"))
    expect(page.locator(".cards")).to_contain_text("RUNNING")
    make_client(world.endpoint).stop_execution(executionArn=execution, error="Console.Test",
                                               cause="stopped to watch the page change")
    expect(page.locator(".cards")).to_contain_text("ABORTED", timeout=10000)
    expect(page.get_by_role("alert")).to_contain_text("Console.Test")
    expect(graph.locator('g.node[data-state="Linger"]')).to_have_class(re.compile(r"\bfailed\b"))


def test_alarms_and_metrics(world, page):
    page.goto(f"{world.endpoint}/console/#/alarms?range=24h")
    alarm = page.locator("#alarms section", has_text="seed-AliasStateMachineFailureAlarm-")
    expect(alarm).to_contain_text("AWS/States ExecutionsFailed")
    expect(alarm.locator("tr", has_text=re.compile(r"from \w+ to ALARM"))).not_to_have_count(0)
    section = page.locator("section", has=page.locator("h3", has_text=re.compile(r"^SampleAliasMachine v2$")))
    expect(section.locator("figure", has_text="failed").locator("rect.bar-fail").first).to_be_attached()


def test_the_keyboard_reaches_everything(world, page):
    page.goto(f"{world.endpoint}/console/#/executions/{fragment(world.recovered)}")
    expect(page.locator("#execution-graph svg")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(".brand")).to_be_focused()
    # The skip link moves focus to the content and keeps the page.
    address = page.url
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    assert page.url == address
    expect(page.locator("#steps")).to_be_visible()
    # Each state of the graph is a button: Enter on it brings its step into view.
    node = page.locator('#execution-graph g.node[data-state="Recover"]')
    node.focus()
    expect(node).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator('#steps tr[data-state="Recover"]')).to_be_focused()
    # The views of a state machine are tabs: the arrow keys move between them.
    page.goto(f"{world.endpoint}/console/#/machines/{fragment(ORDERS)}")
    page.get_by_role("tab", name="Graph").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Definition")).to_be_focused()
    expect(page.get_by_role("tab", name="Definition")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel")).to_contain_text('"StartAt": "Validate"')
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name="Graph")).to_be_focused()
    # Every form control has a label.
    page.goto(f"{world.endpoint}/console/#/executions")
    expect(page.get_by_label("State machine")).to_be_visible()
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('select, input')]
        .filter((control) => !control.labels || control.labels.length === 0).length""")
    assert unlabelled == 0


def test_signing_in_on_a_server_with_credentials(binary, browser, tmp_path):
    """The console obeys the server's authentication: it asks for a key pair and signs every
    request with SigV4 in the browser, which the server verifies as it verifies the SDKs'."""
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = AKIDCONSOLE\n"
                           "aws_secret_access_key = console-secret\n")
    with running_server(binary, "switchback-console-auth-",
                        ("--credentials", str(credentials))) as srv:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{srv.endpoint}/console/")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        # A wrong secret: the server refuses the signature, the page says so and asks again.
        page.get_by_label("Access key ID").fill("AKIDCONSOLE")
        page.get_by_label("Secret access key").fill("not-the-secret")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("InvalidSignatureException")
        page.get_by_label("Access key ID").fill("AKIDCONSOLE")
        page.get_by_label("Secret access key").fill("console-secret")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="State machines")).to_be_visible()
        expect(page.get_by_text("No state machines yet.")).to_be_visible()
        expect(page.locator("#identity")).to_contain_text("Signed in as AKIDCONSOLE")
        # The page's requests were signed: an unsigned one is refused.
        request = urllib.request.Request(
            srv.endpoint + "/", data=b"{}", method="POST",
            headers={"Content-Type": "application/x-amz-json-1.0",
                     "X-Amz-Target": "AWSStepFunctions.ListStateMachines"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 400
        context.close()


@pytest.mark.parametrize("route,ready", [
    ("#/", "table tbody tr"),
    ("#/machines/{orders}", ".graph svg"),
    ("#/machines/{orders}?tab=compare", ".diff"),
    ("#/executions?machine={orders}", "#executions tbody tr"),
    ("#/executions/{recovered}", "#steps tbody tr"),
    ("#/deployments", "table tbody tr"),
    ("#/deployments/{deployment}", "#timeline li"),
    ("#/alarms?range=24h", "#alarms section"),
])
def test_every_page_passes_the_accessibility_checks(world, browser, route, ready):
    """axe-core's WCAG 2 A and AA rules (contrast, labels, names, roles, landmarks) on each page
    with real data. The page's CSP allows its own scripts only, so this one context lifts it to
    run axe."""
    assert os.path.exists(AXE), f"{AXE} is missing: scripts/test installs it (npm ci)"
    deployment = switchback(world.endpoint, "ListDeployments", {})["deployments"][-1]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{world.endpoint}/console/" + route.format(
        orders=fragment(ORDERS), recovered=fragment(world.recovered),
        deployment=deployment["deploymentId"]))
    page.wait_for_selector(ready)
    page.add_script_tag(path=AXE)
    results = page.evaluate(
        "() => axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] })")
    context.close()
    problems = [(violation["id"], violation["help"],
                 [node["target"] for node in violation["nodes"][:3]])
                for violation in results["violations"]]
    assert not problems, problems
