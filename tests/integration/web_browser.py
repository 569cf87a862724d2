#!/usr/bin/python3
"""web_browser.py -- the browser half of tests/integration/test_web_browser.sh
(and of bench/bench_web.sh): headless Chromium driven through chromedriver
by python3-selenium against a running wolfpack-web, the page in web/.

    web_browser.py test  --url URL --admin U:P --reader U:P --group G
                         --web-node N --tc TESTCLUSTER [--shots DIR] --tmp DIR
    web_browser.py bench --url URL --admin U:P --group G --web-node N
                         --tc TESTCLUSTER --wolfpack CLI --tmp DIR [--rounds N]

`test` checks what the issue asks of the page (docs/WEB.md, "The page"):
a wrong password is refused on the page; the admin sees the nodes and the
groups; moving a group by clicking (choose a node, click Move) changes its
owner on the page without a reload (a marker set in the page survives);
moving it to its own owner shows the daemon's refusal (what/why/to do);
powering the new owner off with testcluster shows the node Down and the
group Online on a survivor; the read-only user sees no action button;
a session ended behind the page's back sends it to the login form, saying
so; with --web-pid, stopping wolfpack-web shows the "connection lost" banner.
Screenshots of the overview and of the group page go to --shots.

It runs where the node's address is reachable (the test starts it inside
the test cluster's client network namespace) and calls testcluster itself
to power a node off.  Every check prints "ok   - ..." or "FAIL - ...";
the exit status is the number of failures (capped at 100).
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


class Checks:
    """Pass/fail counting in the integration tests' format."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=''):
        if ok:
            self.passed += 1
            print('ok   - ' + name, flush=True)
        else:
            self.failed += 1
            print('FAIL - ' + name + (('\n    ' + detail) if detail else ''), flush=True)
        return ok


def start_browser(tmp, driver_log):
    """Headless Chromium with a profile of its own under tmp."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = '/usr/bin/chromium'
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
              '--ignore-certificate-errors', '--window-size=1400,1000', '--no-first-run',
              '--disable-extensions', '--disable-background-networking',
              '--user-data-dir=' + os.path.join(tmp, 'chromium-profile')):
        opts.add_argument(a)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    service = Service('/usr/bin/chromedriver', log_path=driver_log)
    return webdriver.Chrome(service=service, options=opts)


def wait_for(driver, seconds, cond):
    """cond(driver) truthy within seconds: its value, else None."""
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.05,
                             ignored_exceptions=(WebDriverException,)).until(cond)
    except TimeoutException:
        return None


def cell(driver, css):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].text.strip() if found else None


def group_row(group):
    return 'tr[data-group="%s"]' % group


def node_state(driver, node):
    return cell(driver, 'tr[data-node="%s"] td.state' % node)


def login(driver, url, user, password):
    driver.get(url + '/#/')
    wait_for(driver, 20, lambda d: d.find_element(By.ID, 'login-user').is_displayed())
    u = driver.find_element(By.ID, 'login-user')
    u.clear()
    u.send_keys(user)
    driver.find_element(By.ID, 'login-password').send_keys(password)
    driver.find_element(By.ID, 'login-submit').click()


def logout(driver):
    driver.find_element(By.ID, 'logout').click()
    wait_for(driver, 10, lambda d: d.find_element(By.ID, 'login-user').is_displayed())


def click_move(driver, group, to):
    row = driver.find_element(By.CSS_SELECTOR, group_row(group))
    Select(row.find_element(By.CSS_SELECTOR, 'select.move-to')).select_by_value(to)
    row.find_element(By.CSS_SELECTOR, 'button[data-op="group.move"]').click()


def message(driver):
    m = driver.find_element(By.ID, 'message')
    return m.text if m.is_displayed() else ''


def survivor_of(nodes, *gone):
    return [n for n in nodes if n not in gone]


def run_test(a, c):
    admin_user, admin_pw = a.admin.split(':', 1)
    read_user, read_pw = a.reader.split(':', 1)
    driver = start_browser(a.tmp, os.path.join(a.tmp, 'chromedriver.log'))
    try:
        login(driver, a.url, admin_user, admin_pw + '-wrong')
        err = wait_for(driver, 20, lambda d: d.find_element(By.ID, 'login-error').is_displayed()
                       and d.find_element(By.ID, 'login-error').text)
        c.check('a wrong password is refused on the page', bool(err) and 'Wrong' in err,
                'login error shown: %r' % err)
        c.check('... and nothing of the cluster is shown',
                not driver.find_elements(By.CSS_SELECTOR, 'tr[data-node]'))

        login(driver, a.url, admin_user, admin_pw)
        rows = wait_for(driver, 30, lambda d: len(d.find_elements(By.CSS_SELECTOR, 'tr[data-node]')) == 3
                        and d.find_elements(By.CSS_SELECTOR, group_row(a.group)))
        nodes = [e.get_attribute('data-node') for e in driver.find_elements(By.CSS_SELECTOR, 'tr[data-node]')]
        c.check('the admin sees 3 nodes, all Up', bool(rows) and all(node_state(driver, n) == 'Up' for n in nodes),
                'nodes: %s' % [(n, node_state(driver, n)) for n in nodes])
        owner = wait_for(driver, 30, lambda d: cell(d, group_row(a.group) + ' td.state') == 'Online'
                         and cell(d, group_row(a.group) + ' td.owner'))
        c.check('the group %s is shown Online with its owner' % a.group, bool(owner) and owner in nodes and owner != a.web_node,
                'row: %s' % cell(driver, group_row(a.group)))
        c.check('the admin sees action buttons',
                len(driver.find_elements(By.CSS_SELECTOR, 'button[data-op]')) > 0)
        if a.shots:
            driver.save_screenshot(os.path.join(a.shots, 'web-overview.png'))

        marker = 'marker-%d' % os.getpid()
        driver.execute_script('window.__wpTestMarker = arguments[0];', marker)

        click_move(driver, a.group, owner)
        refusal = wait_for(driver, 20, lambda d: 'already owns' in message(d) and message(d))
        c.check("moving the group to its own owner shows the daemon's refusal (what, why, to do)",
                bool(refusal) and 'To do:' in refusal and 'Why:' in refusal, 'message: %r' % message(driver))

        target = survivor_of(nodes, owner, a.web_node)[0]
        click_move(driver, a.group, target)
        moved = wait_for(driver, 60, lambda d: cell(d, group_row(a.group) + ' td.owner') == target
                         and cell(d, group_row(a.group) + ' td.state') == 'Online')
        c.check('clicking Move to %s: the page shows owner %s, Online' % (target, target), bool(moved),
                'row: %s' % cell(driver, group_row(a.group)))
        c.check('... without reloading the page (the marker survived)',
                driver.execute_script('return window.__wpTestMarker;') == marker)

        driver.get(a.url + '/#/group/' + a.group)
        shown = wait_for(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, '#dep-graph g[data-resource]')
                         and d.find_elements(By.CSS_SELECTOR, '#history tbody tr'))
        c.check('the group page draws the dependency graph (SVG) and the history', bool(shown),
                'graph boxes: %d, history rows: %d, page: %r' % (
                    len(driver.find_elements(By.CSS_SELECTOR, '#dep-graph g[data-resource]')),
                    len(driver.find_elements(By.CSS_SELECTOR, '#history tbody tr')),
                    (cell(driver, '#view-group') or '')[:300]))
        hist = cell(driver, '#history') or ''
        c.check('... the history names the move by %s' % admin_user,
                'group.move' in hist and admin_user in hist, 'history: %r' % hist[:400])
        if a.shots:
            driver.set_window_size(1400, 1500)
            driver.save_screenshot(os.path.join(a.shots, 'web-group.png'))
            driver.set_window_size(1400, 1000)
        driver.get(a.url + '/#/')
        wait_for(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, group_row(a.group)))
        driver.execute_script('window.__wpTestMarker = arguments[0];', marker)

        off = subprocess.run([a.tc, 'power', 'off', target], capture_output=True, text=True)
        c.check('testcluster power off %s' % target, off.returncode == 0, off.stderr.strip())
        down = wait_for(driver, 60, lambda d: node_state(d, target) == 'Down')
        c.check('the page shows %s Down' % target, bool(down), 'state: %r' % node_state(driver, target))
        back = wait_for(driver, 90, lambda d: cell(d, group_row(a.group) + ' td.state') == 'Online'
                        and cell(d, group_row(a.group) + ' td.owner') not in (None, target, '-')
                        and cell(d, group_row(a.group) + ' td.owner'))
        c.check('the page shows %s Online on a survivor' % a.group, bool(back),
                'row: %s' % cell(driver, group_row(a.group)))
        c.check('... still without a reload',
                driver.execute_script('return window.__wpTestMarker;') == marker)
        fenced = wait_for(driver, 30, lambda d: cell(d, '#fencing li[data-node="%s"]' % target))
        c.check('the Fencing section says how %s is known to be down' % target,
                bool(fenced) and 'down' in fenced, 'fencing: %r' % cell(driver, '#fencing'))

        driver.get(a.url + '/#/apps')
        apps = wait_for(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, '#apps')
                        or 'No cluster application' in (cell(d, '#view-apps') or ''))
        c.check('the Applications view answers (no application installed here)', bool(apps),
                'view: %r' % (cell(driver, '#view-apps') or '')[:300])

        logout(driver)
        login(driver, a.url, read_user, read_pw)
        seen = wait_for(driver, 30, lambda d: d.find_elements(By.CSS_SELECTOR, group_row(a.group)))
        c.check('the read-only user sees the groups', bool(seen))
        who = cell(driver, '#who') or ''
        c.check('... as role read', '(read)' in who, 'who: %r' % who)
        c.check('... and no action button, no move select, in the DOM',
                not driver.find_elements(By.CSS_SELECTOR, 'button[data-op], select.move-to, td.actions'))
        driver.get(a.url + '/#/group/' + a.group)
        wait_for(driver, 20, lambda d: d.find_elements(By.CSS_SELECTOR, '#resources'))
        c.check('... not on the group page either',
                bool(driver.find_elements(By.CSS_SELECTOR, '#resources'))
                and not driver.find_elements(By.CSS_SELECTOR, 'button[data-op], select.move-to'))
        logs = [e for e in driver.get_log('browser') if e.get('level') == 'SEVERE'
                and '/api/' not in e.get('message', '')]
        c.check('no script error or CSP violation in the console', not logs, json.dumps(logs)[:600])
        driver.execute_script(
            "const ui = window.wpConsole; fetch('/api/logout', {method: 'POST', body: '{}',"
            " headers: {'Content-Type': 'application/json', 'X-CSRF-Token': ui.csrf}});")
        ended = wait_for(driver, 30, lambda d: d.find_element(By.ID, 'login-error').is_displayed()
                         and d.find_element(By.ID, 'login-error').text)
        c.check('the session ended behind the page: it shows the login form and says why',
                bool(ended) and 'session ended' in ended and not driver.find_elements(By.CSS_SELECTOR, 'tr[data-node]'),
                'login error: %r' % ended)
        if a.web_pid:
            login(driver, a.url, read_user, read_pw)
            wait_for(driver, 30, lambda d: d.find_elements(By.CSS_SELECTOR, group_row(a.group)))
            banner = driver.find_element(By.ID, 'banner-conn')
            c.check('no "connection lost" banner while connected', not banner.is_displayed())
            os.kill(a.web_pid, signal.SIGTERM)
            lost = wait_for(driver, 30, lambda d: d.find_element(By.ID, 'banner-conn').is_displayed())
            c.check('wolfpack-web stopped: the page says the connection is lost, retrying',
                    bool(lost) and 'retrying' in banner.text, 'banner: %r' % banner.text)
    finally:
        driver.quit()


def run_bench(a, c):
    """Event -> page times and the 1,000-group render (bench/bench_web.sh)."""
    user, pw = a.admin.split(':', 1)
    driver = start_browser(a.tmp, os.path.join(a.tmp, 'chromedriver.log'))
    out = {}
    try:
        login(driver, a.url, user, pw)
        wait_for(driver, 120, lambda d: d.execute_script('return window.wpConsole && window.wpConsole.stats.renders > 0'))
        wait_for(driver, 120, lambda d: d.find_elements(By.CSS_SELECTOR, group_row(a.group)))
        out['groups'] = len(driver.find_elements(By.CSS_SELECTOR, 'tr[data-group]'))
        out['first_render_ms'] = driver.execute_script('return window.wpConsole.stats.firstRenderMs')
        driver.refresh()  # a fresh load: the first full render again
        wait_for(driver, 60, lambda d: d.execute_script('return window.wpConsole && window.wpConsole.stats.renders > 0'))
        out['first_render_ms_reload'] = driver.execute_script('return window.wpConsole.stats.firstRenderMs')
        out['load_to_render_ms'] = driver.execute_script(
            'return window.wpConsole.stats.firstRenderAt')  # ms since navigation start
        wait_for(driver, 60, lambda d: d.find_elements(By.CSS_SELECTOR, group_row(a.group)))
        nodes = [e.get_attribute('data-node') for e in driver.find_elements(By.CSS_SELECTOR, 'tr[data-node]')]
        moves = []
        for i in range(a.rounds):
            owner = cell(driver, group_row(a.group) + ' td.owner')
            to = survivor_of(nodes, owner, a.web_node)[0]
            watch_owner(driver, a.group)
            t0 = time.time()
            mv = subprocess.run([a.tc, 'exec', a.web_node, a.wolfpack, 'group', 'move', a.group, '--to', to],
                                capture_output=True, text=True)
            if mv.returncode != 0:
                raise RuntimeError('wolfpack group move %s --to %s: %s' % (a.group, to, (mv.stdout + mv.stderr).strip()))
            got = wait_for(driver, 60, lambda d: d.execute_script('return window.__wpSeen'))
            if got:
                moves.append({'event_to_dom_ms': got['dom'] - got['event'] if got['event'] else None,
                              'daemon_to_dom_ms': got['domEpoch'] - got['daemon'] if got['daemon'] else None,
                              'render_ms': got['render'], 'fetch_ms': got['fetch'], 'cli_to_dom_ms': got['domEpoch'] - t0 * 1000})
            wait_for(driver, 60, lambda d: cell(d, group_row(a.group) + ' td.state') == 'Online')
        out['moves'] = moves
        out['update_render_ms'] = driver.execute_script('return window.wpConsole.stats.lastRenderMs')
        if a.kill:
            owner = cell(driver, group_row(a.group) + ' td.owner')
            watch_node(driver, owner)
            subprocess.run([a.tc, 'kill', owner], capture_output=True, check=True)
            got = wait_for(driver, 60, lambda d: d.execute_script('return window.__wpSeen'))
            out['kill'] = {'event_to_dom_ms': got['dom'] - got['event'] if got and got['event'] else None,
                           'daemon_to_dom_ms': got['domEpoch'] - got['daemon'] if got and got['daemon'] else None,
                           'render_ms': got['render'] if got else None}
    finally:
        driver.quit()
    print('BENCH ' + json.dumps(out), flush=True)


WATCH_JS = '''
const target = document.querySelector(arguments[0]);
const before = target.textContent;
window.__wpSeen = null;
const ui = window.wpConsole;
const obs = new MutationObserver(() => {
  if (target.textContent === before || window.__wpSeen) return;
  const now = performance.now();
  window.__wpSeen = {dom: now, domEpoch: performance.timeOrigin + now,
                     event: ui.stats.renderedEventAt, daemon: ui.stats.renderedDaemonAt,
                     render: ui.stats.lastRenderMs,
                     fetch: ui.stats.lastFetchMs};
  obs.disconnect();
});
obs.observe(target, {childList: true, characterData: true, subtree: true});
'''


def watch_owner(driver, group):
    driver.execute_script(WATCH_JS, group_row(group) + ' td.owner')


def watch_node(driver, node):
    driver.execute_script(WATCH_JS, 'tr[data-node="%s"] td.state' % node)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('mode', choices=('test', 'bench'))
    p.add_argument('--url', required=True)
    p.add_argument('--admin', required=True)
    p.add_argument('--reader', default='')
    p.add_argument('--group', required=True)
    p.add_argument('--web-node', required=True)
    p.add_argument('--tc', required=True)
    p.add_argument('--tmp', required=True)
    p.add_argument('--shots', default='')
    p.add_argument('--wolfpack', default='wolfpack')
    p.add_argument('--rounds', type=int, default=5)
    p.add_argument('--kill', action='store_true')
    p.add_argument('--web-pid', type=int, default=0, help='wolfpack-web, stopped at the end (test)')
    a = p.parse_args()
    c = Checks()
    try:
        (run_test if a.mode == 'test' else run_bench)(a, c)
    except Exception as e:  # a crash of the driver is a failure, with its reason
        c.check('the browser driver ran to the end', False, '%s: %s' % (type(e).__name__, str(e).splitlines()[0] if str(e) else ''))
    print('web_browser: %d passed, %d failed' % (c.passed, c.failed), flush=True)
    sys.exit(min(c.failed, 100))


if __name__ == '__main__':
    main()
