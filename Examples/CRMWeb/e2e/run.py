#!/usr/bin/env python3
"""End-to-end test of Examples/CRMWeb in headless Chromium (`make e2e`).

Starts `padlock dev` and the CRMWeb app server on free loopback ports, then drives three browser contexts
(Alice, Bob and Carol the administrator) through the five steps of issue 23. Every check waits for text in the
DOM with an explicit deadline; nothing sleeps and hopes. Screenshots go to .e2e/NN-step.png, timings to
.e2e/timings.json. Every process started here is stopped on the way out, also on failure.

With --postgres (`make e2e POSTGRES=1`) the app keeps its records in a throwaway PostgreSQL cluster instead of
SQLite: initdb in a temporary directory, a free loopback port, trust authentication, stopped and removed on the
way out. PostgreSQL refuses to run as root, so as root the server runs as Debian's `postgres` user.

Usage: run.py [--keep] [--postgres] (--keep leaves the cluster and app running until Enter is pressed)
"""
import glob
import json
import os
import pwd
import shutil
import tempfile
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / ".e2e"
EXAMPLE = ROOT / "Examples" / "CRMWeb"
BIN = EXAMPLE / ".build" / "debug"
# padlock and padlockd come from the main package's own build (`make test` and `make e2e` build them there).
PADLOCK_BIN = Path(os.environ.get("PADLOCK_BIN", ROOT / ".build" / "debug"))
DEADLINE = float(os.environ.get("E2E_DEADLINE", "20"))  # seconds any one condition may take
STRICT = os.environ.get("E2E_STRICT_TIMING") == "1"     # fail when a notice takes longer than 2 s
TENANT = "acme"

processes = []   # (name, Popen) started here, stopped in reverse order
postgres = {}    # bin, directory and user of the throwaway PostgreSQL cluster, when one was started
browsers = []
timings = {}
log = lambda text: print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


class Failure(Exception):
    pass


# ---------------------------------------------------------------- processes

def port_free(port):
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_base_port():
    """A base port for `padlock dev`: base..base+2 (clients), +100 (peers) and +200 (admin) all free."""
    for _ in range(200):
        base = random.randrange(20000, 40000)
        ports = [base + offset + node for offset in (0, 100, 200) for node in range(3)]
        if all(port_free(port) for port in ports):
            return base
    raise Failure("no free range of loopback ports for the dev cluster")


def start(name, command, logfile):
    log(f"starting {name}: {' '.join(str(part) for part in command)}")
    handle = open(logfile, "w")
    process = subprocess.Popen(
        [str(part) for part in command], cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    processes.append((name, process))
    return process


def wait_until(what, condition, timeout, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise Failure(f"{what}: the process exited with status {process.returncode}")
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise Failure(f"{what}: not within {timeout:.0f} s")


def stop_everything():
    for driver in browsers:
        try:
            driver.quit()
        except Exception as error:  # a browser that already died
            log(f"closing a browser: {error}")
    for name, process in reversed(processes):
        if process.poll() is not None:
            continue
        log(f"stopping {name} (pid {process.pid})")
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=5)
    stop_postgres()
    # padlock dev stops its nodes; a node left behind by a killed padlock dev is stopped by its pid file.
    for pidfile in (OUT / "cluster").glob("node-*/pid"):
        try:
            pid = int(pidfile.read_text().strip())
            os.kill(pid, 0)
            log(f"stopping padlockd left running (pid {pid})")
            os.kill(pid, signal.SIGKILL)
        except (ValueError, ProcessLookupError, PermissionError, FileNotFoundError):
            pass


def start_cluster():
    base = free_base_port()
    cluster = OUT / "cluster"
    dev = start("padlock dev", [PADLOCK_BIN / "padlock", "dev", "--dir", cluster, "--nodes", 3, "--base-port", base,
                                "--padlockd", PADLOCK_BIN / "padlockd"], OUT / "padlock-dev.log")
    wait_until("the dev cluster elects a leader", lambda: (cluster / "endpoints").exists(), 90, dev)
    log(f"cluster serving: {(cluster / 'endpoints').read_text().strip()}")
    return cluster


def postgres_bin():
    """Debian keeps initdb and pg_ctl in /usr/lib/postgresql/VERSION/bin, off PATH; the newest version wins."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise Failure("initdb not found: install Debian's postgresql package (`make deps` does)")


def as_server_user(command):
    return (["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []) + [str(part) for part in command]


def start_postgres():
    """A throwaway cluster on a free loopback port; returns the app's --database URL."""
    bin_dir = postgres_bin()
    directory = Path(tempfile.mkdtemp(prefix="padlock-e2e-postgres-"))
    if os.getuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(directory, user.pw_uid, user.pw_gid)
    postgres.update(bin=bin_dir, directory=directory)
    log(f"starting PostgreSQL in {directory}")
    subprocess.run(as_server_user([bin_dir / "initdb", "-D", directory / "data", "-U", "postgres", "-A", "trust",
                                   "-E", "UTF8", "--locale=C", "--no-sync"]),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    port = free_port()
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = subprocess.run(as_server_user([bin_dir / "pg_ctl", "-D", directory / "data", "-l",
                                             directory / "server.log", "-w", "-t", "60", "-o", options, "start"]),
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    postgres["started"] = True
    if started.returncode != 0:
        raise Failure(f"PostgreSQL did not start: {(directory / 'server.log').read_text()[-2000:]}")
    subprocess.run([bin_dir / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "crm"], check=True)
    url = f"postgres://postgres@127.0.0.1:{port}/crm"
    log(f"PostgreSQL serving {url}")
    return url


def stop_postgres():
    if not postgres:
        return
    directory = postgres["directory"]
    if postgres.get("started"):
        log("stopping PostgreSQL")
        subprocess.run(as_server_user([postgres["bin"] / "pg_ctl", "-D", directory / "data", "-m", "fast", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    shutil.rmtree(directory, ignore_errors=True)
    postgres.clear()


def start_app(cluster, database):
    port = free_port()
    app = start("CRMWeb", [BIN / "CRMWeb", "--port", port, "--dev-dir", cluster, "--database", database],
                OUT / "crmweb.log")
    url = f"http://127.0.0.1:{port}"

    def answers():
        try:
            with urllib.request.urlopen(url + "/signin", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False
    wait_until("the app server answers", answers, 60, app)
    log(f"app serving {url}")
    return url


# ---------------------------------------------------------------- browser helpers

def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", "--disable-features=Translate"):
        options.add_argument(argument)
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    browsers.append(driver)
    return driver


def replaced(error):
    """Whether `error` says the element went away because the page replaced it (a live update or a new
    page): Chromium reports that as a stale element, or as a node that "does not belong to the document"."""
    return isinstance(error, StaleElementReferenceException) or (
        isinstance(error, WebDriverException) and "does not belong to the document" in str(error))


def on_current(driver, action):
    """Runs `action` (which finds its element afresh), again while the page keeps replacing the element."""
    deadline = time.monotonic() + DEADLINE
    while True:
        try:
            return action()
        except WebDriverException as error:
            if not replaced(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def text_of(driver, css):
    """The text of the visible element `css`, or "" (also while the page is being replaced)."""
    try:
        elements = driver.find_elements(By.CSS_SELECTOR, css)
        return elements[0].text if elements and elements[0].is_displayed() else ""
    except WebDriverException as error:
        if replaced(error):
            return ""
        raise


def wait_text(driver, css, *parts, timeout=None, who=""):
    """Waits until the visible element `css` contains every one of `parts`; returns its text."""
    def shown(_):
        text = text_of(driver, css)
        return text if text and all(part in text for part in parts) else False
    began = time.monotonic()
    try:
        text = WebDriverWait(driver, timeout or DEADLINE, poll_frequency=0.05).until(shown)
        if time.monotonic() - began > 3:
            log(f"  ({who}: {css} took {time.monotonic() - began:.1f} s to show {parts!r})")
        return text
    except TimeoutException:
        raise Failure(f"{who}: {css} never showed {parts!r}; it shows {text_of(driver, css)!r} at {driver.current_url}")


def wait_url(driver, fragment, who=""):
    try:
        WebDriverWait(driver, DEADLINE, poll_frequency=0.05).until(lambda d: fragment in d.current_url)
    except TimeoutException:
        message = text_of(driver, "#message")
        raise Failure(f"{who}: never reached {fragment}; at {driver.current_url}, message {message!r}")


def fill(driver, css, text):
    def type_in():
        element = driver.find_element(By.CSS_SELECTOR, css)
        element.clear()
        element.send_keys(text)
    on_current(driver, type_in)


def click(driver, css):
    on_current(driver, lambda: driver.find_element(By.CSS_SELECTOR, css).click())


def shot(driver, name):
    path = OUT / f"{name}.png"
    driver.save_screenshot(str(path))
    log(f"screenshot {path.relative_to(ROOT)}")


def shown_at(driver, css):
    """When the page showed `css` (Date.now() the page stored in data-shown-at), in seconds."""
    value = driver.find_element(By.CSS_SELECTOR, css).get_attribute("data-shown-at")
    return int(value) / 1000 if value else time.time()


def note_delay(name, seconds, limit=None):
    timings[name] = round(seconds, 3)
    flag = ""
    if limit is not None and seconds > limit:
        flag = f"  (over {limit} s)"
        if STRICT:
            raise Failure(f"{name} took {seconds:.2f} s, over {limit} s")
    log(f"  {name}: {seconds:.2f} s{flag}")


def sign_in(driver, url, name, roles):
    driver.get(url + "/signin")
    fill(driver, "#name", name)
    for role in ("rep", "manager", "admin", "finance-admin"):
        box = driver.find_element(By.ID, f"role-{role}")
        if box.is_selected() != (role in roles):
            box.click()
    click(driver, "#sign-in")
    wait_text(driver, "#whoami", name, who=name)


def open_record(driver, url, path, note, field=""):
    began = time.monotonic()
    driver.get(url + path)
    if time.monotonic() - began > 3:
        log(f"  (loading {path} took {time.monotonic() - began:.1f} s)")
    wait_text(driver, "#padlock", "", who=path)
    Select(driver.find_element(By.ID, "field")).select_by_value(field)
    fill(driver, "#note", note)
    click(driver, "#open")


def edit_and_save(driver, who, field, text):
    wait_url(driver, "/edit/", who=who)
    fill(driver, f"#f-{field}", text)
    click(driver, "#save")
    return wait_text(driver, "#result", "Saved", who=who)


from steps import run_steps  # noqa: E402  (the five steps, in steps.py beside this file)


def main():
    keep = "--keep" in sys.argv
    OUT.mkdir(exist_ok=True)
    for old in list(OUT.glob("*.png")) + [OUT / "crm.sqlite", OUT / "crm.sqlite-wal", OUT / "crm.sqlite-shm"]:
        old.unlink(missing_ok=True)
    subprocess.run(["rm", "-rf", str(OUT / "cluster")], check=True)
    started = time.monotonic()
    failed = None
    try:
        database = start_postgres() if "--postgres" in sys.argv else OUT / "crm.sqlite"
        url = start_app(start_cluster(), database)
        alice, bob, carol = browser(), browser(), browser()
        run_steps(sys.modules[__name__], url, alice, bob, carol)
        if keep:
            input(f"running at {url}; press Enter to stop ")
    except Failure as error:
        failed = str(error)
    except Exception as error:  # a selenium or OS error: still clean up, and say where
        failed = f"{type(error).__name__}: {error}"
    finally:
        if failed:
            for index, driver in enumerate(browsers):
                try:
                    shot(driver, f"failure-{['alice', 'bob', 'carol'][index]}")
                except Exception:
                    pass
        stop_everything()
    timings["store"] = "PostgreSQL" if "--postgres" in sys.argv else "SQLite"
    timings["total_wall_seconds"] = round(time.monotonic() - started, 1)
    (OUT / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    if failed:
        log(f"FAILED: {failed}")
        log(f"logs: {(OUT / 'crmweb.log').relative_to(ROOT)}, {(OUT / 'padlock-dev.log').relative_to(ROOT)}")
        return 1
    log(f"e2e passed on {timings['store']} in {timings['total_wall_seconds']} s; timings in .e2e/timings.json")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
