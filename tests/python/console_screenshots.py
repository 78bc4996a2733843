"""Takes the console's screenshots for docs/console/ (shown in the README), from the same data
as the browser tests: `scripts/console-screenshots` runs it."""
import os
import shutil
import sys
import tempfile
import urllib.parse

from playwright.sync_api import sync_playwright

import console_data
from conftest import running_server
from test_console import CHROMIUM, CHROMIUM_ARGS, ORDERS, switchback

PAGES = [
    ("machines", "#/", None),
    ("machine", f"#/machines/{urllib.parse.quote(ORDERS, safe='')}", None),
    ("compare", f"#/machines/{urllib.parse.quote(ORDERS, safe='')}?tab=compare", None),
    ("executions", f"#/executions?machine={urllib.parse.quote(ORDERS, safe='')}", None),
    ("execution", "#/executions/{recovered}", None),
    ("execution-failed", "#/executions/{failed}", None),
    ("deployment", "#/deployments/{deployment}", None),
    ("alarms", "#/alarms?range=24h", None),
]


def main(binary, out):
    os.makedirs(out, exist_ok=True)
    with running_server(binary, "switchback-shots-") as srv:
        tmp = tempfile.mkdtemp()
        try:
            _, failed, recovered, _ = console_data.orders(srv.endpoint)
            console_data.seed_rollback(binary, srv.endpoint, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        deployment = switchback(srv.endpoint, "ListDeployments", {})["deployments"][0]
        values = {"failed": urllib.parse.quote(failed, safe=""),
                  "recovered": urllib.parse.quote(recovered, safe=""),
                  "deployment": deployment["deploymentId"]}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            for name, route, _ in PAGES:
                page.goto(f"{srv.endpoint}/console/{route.format(**values)}")
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(500)
                path = os.path.join(out, f"{name}.png")
                page.screenshot(path=path, full_page=False)
                print(path)
            browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
