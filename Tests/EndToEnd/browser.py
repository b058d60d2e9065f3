"""Headless Chromium for the browser tests (test_browser.py): Debian's
`chromium` driven through Selenium by Debian's `chromedriver`
(scripts/install-deps.sh test installs both). Nothing is downloaded at
test time: the driver and the browser are named by path, and Selenium
Manager, which would look for (and fetch) them, is made to fail if
anything ever calls it.

Each Browser is its own Chromium with a fresh profile in a temp dir, so
no cookie outlives it. It reaches loopback addresses only: every host
name but `localhost` fails to resolve, and anything that is not on
loopback goes to a proxy address where nothing listens. A page that
wrongly sends it to `evil.example` shows Chromium's error page at that
address, which the tests see, and no packet leaves the machine."""
import atexit
import json
import os
import shutil
import tempfile
import time
from urllib.parse import parse_qs, urlsplit

# Selenium Manager stays offline even if something reached it (below, it
# is not reachable at all).
os.environ["SE_OFFLINE"] = "true"

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common import selenium_manager  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from harness import refused_address  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Longest wait for a page, a navigation or a script (a loaded 2-core machine).
WAIT = 30


def _selenium_manager_must_not_run(*args, **kwargs):
    raise AssertionError("Selenium Manager was called: the browser tests use Debian's chromium and "
                         f"chromedriver ({CHROMIUM}, {CHROMEDRIVER}) and download nothing")


selenium_manager.SeleniumManager.binary_paths = _selenium_manager_must_not_run

# Records the page's Content-Security-Policy violations (the event fires in
# the page; CDP's script is not itself subject to the page's policy).
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
    window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || ''));
});
"""

# Every Browser still open, quit at interpreter exit whatever happened.
_open = []


@atexit.register
def _quit_all():
    for b in list(_open):
        b.quit()


class Browser:
    """One headless Chromium (one window to start with) and its driver."""

    def __init__(self, width=1024, height=720):
        self.dir = tempfile.mkdtemp(prefix="authgate-chromium-")
        # Held for the browser's life: bound, never listening, so the proxy
        # refuses at once and no other process can start listening there.
        self._proxy_socket, proxy = refused_address()
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", f"--user-data-dir={os.path.join(self.dir, 'profile')}",
                    f"--window-size={width},{height}", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--no-default-browser-check", "--password-store=basic",
                    # No traffic of Chromium's own (updates, sync, safe browsing, ...).
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability",
                    "--disable-client-side-phishing-detection", "--no-pings", "--metrics-recording-only",
                    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
                    # Loopback only (see the module's docstring); loopback
                    # addresses always bypass the proxy.
                    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1 , EXCLUDE 127.0.0.2",
                    f"--proxy-server=http://{proxy}"):
            options.add_argument(arg)
        if os.geteuid() == 0:
            options.add_argument("--no-sandbox")  # Chromium's sandbox refuses to run as root
        # No password manager bubbles or leak checks over the pages.
        options.add_experimental_option("prefs", {"credentials_enable_service": False,
                                                  "profile.password_manager_enabled": False,
                                                  "profile.password_manager_leak_detection": False})
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver_log = os.path.join(self.dir, "chromedriver.log")
        # The driver by path: Selenium skips Selenium Manager altogether.
        service = Service(executable_path=CHROMEDRIVER, log_output=self.driver_log)
        try:
            self.driver = webdriver.Chrome(service=service, options=options)
        except BaseException:
            self._proxy_socket.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        _open.append(self)
        self.driver.set_page_load_timeout(WAIT)
        self.driver.set_script_timeout(WAIT)
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_RECORDER})

    def quit(self):
        if self not in _open:
            return
        _open.remove(self)
        try:
            self.driver.quit()
        except WebDriverException:
            pass
        self._proxy_socket.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # Pages.

    def open(self, url):
        """Navigates the current tab to `url` and waits for it to load."""
        self.driver.get(url)
        return self

    def reload(self):
        self.driver.refresh()
        return self

    @property
    def url(self):
        return self.driver.current_url

    def path(self):
        """The current address's path and query, as the address bar has it."""
        parts = urlsplit(self.url)
        return parts.path + ("?" + parts.query if parts.query else "")

    def query(self):
        return {k: v[0] for k, v in parse_qs(urlsplit(self.url).query).items()}

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def json(self):
        """The JSON document Chromium shows (it puts the text in a <pre>)."""
        return json.loads(self.driver.find_element(By.TAG_NAME, "pre").text)

    def status(self):
        """The HTTP status of the document shown (Navigation Timing's
        responseStatus; after redirects, the last answer's)."""
        return self.driver.execute_script("return performance.getEntriesByType('navigation')[0].responseStatus")

    def wait_for(self, condition, what):
        """Waits for `condition(browser)` to be true (WAIT seconds at most)."""
        try:
            WebDriverWait(self.driver, WAIT).until(lambda _: condition(self))
        except Exception as e:
            raise AssertionError(f"waited {WAIT} s for {what}; at {self.url}:\n{self.page_excerpt()}") from e

    def page_excerpt(self, limit=1500):
        try:
            return self.driver.page_source[:limit]
        except WebDriverException as e:
            return repr(e)

    def submit_and_wait(self, element):
        """Clicks `element` (a submit button) and waits for the next page."""
        self.driver.execute_script("window.__leftBehind = true")
        element.click()
        self.wait_for_next_document("the page after the form")

    def wait_for_next_document(self, what):
        """Waits until the document that set `window.__leftBehind` is
        replaced by another one, fully loaded."""
        self.wait_for(lambda b: b.driver.execute_script(
            "return window.__leftBehind === undefined && document.readyState === 'complete'"), what)

    # The sign-in page.

    def on_sign_in_page(self):
        return urlsplit(self.url).path == "/auth/sign-in" and bool(self.driver.find_elements(By.ID, "password"))

    def sign_in(self, username, password):
        """Fills the sign-in form shown and submits it; returns once the
        next page (the 303's target, or the form again) has loaded."""
        assert self.on_sign_in_page(), f"not the sign-in page: {self.url}\n{self.page_excerpt()}"
        field = self.driver.find_element(By.ID, "username")
        field.clear()
        field.send_keys(username)
        self.driver.find_element(By.ID, "password").send_keys(password)
        self.submit_and_wait(self.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
        return self

    def notice(self):
        """The sign-in page's message above the form, or None."""
        found = self.driver.find_elements(By.ID, "notice")
        return found[0].text if found else None

    def sign_out_here(self, rd=None):
        """Signs out as a page of this site would: a form posted to
        /auth/sign-out, created in the current page's DOM (so it must be a
        page of AuthGate's origin), whose csrf_token is read from
        document.cookie's csrf_access_token when the form is sent, as the
        page's own script would. Returns once the 303's target loaded."""
        self.driver.execute_script("""
            const form = document.createElement('form');
            form.method = 'post';
            form.action = '/auth/sign-out';
            const fields = {csrf_token: (document.cookie.split('; ').find(c => c.startsWith('csrf_access_token=')) || '=').split('=')[1]};
            if (arguments[0] !== null) fields.rd = arguments[0];
            for (const [name, value] of Object.entries(fields)) {
                const input = document.createElement('input');
                input.type = 'hidden'; input.name = name; input.value = value;
                form.appendChild(input);
            }
            document.body.appendChild(form);
            window.__leftBehind = true;
            form.submit();
        """, rd)
        self.wait_for_next_document("the page after signing out")
        return self

    # Tabs.

    def new_tab(self, url=None):
        """Opens a tab (sharing this browser's cookies) and switches to it;
        returns its handle."""
        self.driver.switch_to.new_window("tab")
        if url:
            self.open(url)
        return self.driver.current_window_handle

    def switch_to(self, handle):
        self.driver.switch_to.window(handle)
        return self

    # What the browser holds and reports.

    def cookies(self):
        """The current page's cookies by name (HttpOnly ones included):
        {name: the WebDriver cookie dict}."""
        return {c["name"]: c for c in self.driver.get_cookies()}

    def console(self):
        """Console entries since the last call (level, message)."""
        return [(e["level"], e["message"]) for e in self.driver.get_log("browser")]

    def csp_violations(self):
        return self.driver.execute_script("return window.__cspViolations || null")

    def screenshot(self, path):
        """A PNG of the window as it is now."""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # A moment for fonts and the focus ring after the load event.
        time.sleep(0.2)
        assert self.driver.save_screenshot(path), path
        return path
