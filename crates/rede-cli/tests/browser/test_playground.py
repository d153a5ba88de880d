"""Browser test of `rede playground`: headless Chromium loads the page, picks
spirals, adds a layer, presses play, waits until the test loss falls below a
threshold, and saves a screenshot.

Run:  REDE_BIN=target/debug/rede python crates/rede-cli/tests/browser/test_playground.py [SCREENSHOT.png]

Skipped, with the reason printed, when chromium, chromedriver or selenium is
missing (exit status 0). Any failure exits non-zero.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

THRESHOLD = 0.35  # test loss the network must get below on spirals
WAIT_SECONDS = 240  # how long training may take before the test fails


def skip(reason):
    """Skips (exit 0) with the reason, unless REDE_REQUIRE_BROWSER is set (CI), where a
    missing browser is a failure: a green run must mean the page was really driven."""
    print(f"SKIPPED: {reason}")
    sys.exit(1 if os.environ.get("REDE_REQUIRE_BROWSER") else 0)


def find(*names):
    for name in names:
        path = shutil.which(name) or (name if os.path.exists(name) else None)
        if path:
            return path
    return None


def start_server(binary):
    proc = subprocess.Popen([binary, "playground", "--port", "0", "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    match = re.match(r"listening on (http://\S+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r} {proc.stderr.read()}")
    return proc, match.group(1)


def make_driver(webdriver, Service, Options, profile):
    options = Options()
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                f"--user-data-dir={profile}", "--window-size=1200,740"]:
        options.add_argument(arg)
    chromium = find("chromium", "chromium-browser", "/usr/bin/chromium")
    if chromium:
        options.binary_location = chromium
    return webdriver.Chrome(service=Service(find("chromedriver", "/usr/bin/chromedriver")), options=options)


def test_loss(driver):
    text = driver.find_element("id", "test-loss").text
    return float(text) if re.match(r"^[0-9.]+$", text) else None


def canvas_colours(driver):
    """Distinct colours on the boundary canvas (a blank canvas has one)."""
    return driver.execute_script("""
        const c = document.getElementById('boundary');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i] + ',' + d[i+1] + ',' + d[i+2]);
        return seen.size;""")


def main():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.support.ui import Select, WebDriverWait
    except ImportError:
        skip("selenium is not installed (pip install selenium)")
    if not find("chromium", "chromium-browser", "/usr/bin/chromium"):
        skip("chromium is not installed (apt-get install chromium)")
    if not find("chromedriver", "/usr/bin/chromedriver"):
        skip("chromedriver is not installed (apt-get install chromium-driver)")
    binary = os.environ.get("REDE_BIN", "target/debug/rede")
    if not os.path.exists(binary):
        raise SystemExit(f"no rede binary at {binary}: build it (cargo build -p rede-cli) or set REDE_BIN")
    screenshot = sys.argv[1] if len(sys.argv) > 1 else os.path.join(tempfile.gettempdir(), "rede-playground.png")

    started = time.monotonic()
    server, url = start_server(binary)
    profile = tempfile.mkdtemp(prefix="rede-playground-chromium-")
    driver = None
    try:
        driver = make_driver(webdriver, Service, Options, profile)
        wait = WebDriverWait(driver, 30)
        driver.get(url)
        wait.until(lambda d: d.find_element("id", "epoch").text == "0" and d.find_elements("css selector", ".layer"))

        Select(driver.find_element("id", "dataset")).select_by_value("spirals")
        wait.until(lambda d: d.execute_script("return S.state && S.state.config.dataset") == "spirals")
        layers_before = len(driver.find_elements("css selector", ".layer"))
        driver.find_element("id", "add-layer").click()
        wait.until(lambda d: len(d.find_elements("css selector", ".layer")) == layers_before + 1)
        # Wider layers and the sine features make the spirals learnable in a few hundred epochs.
        for feature in ["sin_x1", "sin_x2"]:
            driver.find_element("id", f"feature-{feature}").click()
            wait.until(lambda d, f=feature: f in d.execute_script("return S.state.config.features"))
        for i in range(layers_before + 1):
            for _ in range(4):
                units = driver.execute_script(f"return S.state.config.layers[{i}].units")
                driver.find_elements("css selector", ".units-more")[i].click()
                wait.until(lambda d, i=i, u=units: d.execute_script(f"return S.state.config.layers[{i}].units") == u + 1)

        driver.find_element("id", "play").click()
        WebDriverWait(driver, 30).until(lambda d: int(d.find_element("id", "epoch").text) > 0)
        reached = []

        def below_threshold(d):
            loss = test_loss(d)
            if loss is not None and loss < THRESHOLD:
                reached.append(loss)
            return bool(reached)

        WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.2).until(
            below_threshold, message=f"the test loss stayed above {THRESHOLD}")
        driver.find_element("id", "play").click()  # pause, so the screenshot is of a still frame
        WebDriverWait(driver, 30).until(lambda d: d.find_element("id", "play").text.endswith("play"))
        last = reached[0]
        # The loss after the first epoch, from the curve the page drew.
        first = driver.execute_script("return S.frame.history.test[0]")
        epochs = int(driver.find_element("id", "epoch").text)

        colours = canvas_colours(driver)
        assert colours > 10, f"the boundary canvas looks blank ({colours} colours)"
        assert last < first, f"the test loss did not fall: {first} -> {last}"
        assert not driver.find_element("id", "error").text, driver.find_element("id", "error").text
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(screenshot)
        driver.find_element("id", "one-step").click()
        WebDriverWait(driver, 30).until(lambda d: "digraph" in d.execute_script(
            "return document.getElementById('graph-dot').textContent"))
        rows = len(driver.find_elements("css selector", "#graph-nodes tbody tr"))
        assert rows > 5, f"the one-step table has {rows} rows"
        print(f"ok: test loss {first:.3f} -> {last:.3f} after {epochs} epochs, {colours} colours on the boundary; "
              f"screenshot {screenshot}; {time.monotonic() - started:.1f} s")
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
