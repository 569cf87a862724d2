/*
 * web/app.js -- the wolfpack web console: one page, hash routes
 * (#/ overview, #/group/NAME, #/apps), plain DOM, no framework.
 *
 * It talks only to wolfpack-web's JSON API (docs/API.md): POST /api/login
 * and GET /api/session give the user, role and CSRF token (sent as
 * X-CSRF-Token on every POST); GET /api/status is the daemon's status (what
 * `wolfpack status --json` prints); POST /api/op runs a daemon op with the
 * args the CLI sends; GET /api/history is the audit history.  The page
 * follows /api/events (the daemon's watch stream as server-sent events): each
 * event schedules one status refetch (after 50 ms, at most one in flight) and
 * the views update in place (keyed table rows, text set only when it
 * changed), never reloading the page.
 *
 * The notes beside groups and resources (why a group failed, what it waits
 * for) are worked out from the status as src/cli/cmd_status.c does, so the
 * page and `wolfpack status` say the same.  Action buttons are drawn only
 * for the role "admin"; the daemon decides again on every op.
 *
 * One object (the console, made by newConsole) holds all state; it is
 * exposed as window.wpConsole for the browser test and the benchmark
 * (wpConsole.stats: render times; renderedEventAt, the arrival of the first
 * event the last drawn status answers, in performance.now() time).
 */
'use strict';

(function () {
    const REFRESH_DELAY_MS = 50;
    const RECONNECT_MS = 2000;
    const HISTORY_ROWS = 50;

    /* ---- small DOM helpers ---------------------------------------------- */

    function el(tag, attrs, ...children) {
        const e = document.createElement(tag);
        for (const [k, v] of Object.entries(attrs || {})) {
            if (v === null || v === undefined || v === false) continue;
            if (k === 'class') e.className = v;
            else if (k === 'text') e.textContent = v;
            else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
            else e.setAttribute(k, v === true ? '' : v);
        }
        for (const c of children) if (c !== null && c !== undefined) e.append(c);
        return e;
    }

    function svg(tag, attrs, ...children) {
        const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
        for (const [k, v] of Object.entries(attrs || {})) {
            if (k === 'text') e.textContent = v;
            else e.setAttribute(k, v);
        }
        for (const c of children) if (c) e.append(c);
        return e;
    }

    /* Set a node's text only when it differs (no needless DOM mutation). */
    function setText(node, text) {
        const t = text === null || text === undefined || text === '' ? '-' : String(text);
        if (node.textContent !== t) node.textContent = t;
    }

    /* The CSS class of a state word, as the CLI colours it. */
    function stateClass(state) {
        if (!state) return '';
        if (state.includes('Pending')) return 's-Pending';
        return 's-' + state.split(' ')[0];
    }

    function setState(node, state) {
        setText(node, state);
        const c = 'state ' + stateClass(state);
        if (node.className !== c) node.className = c;
    }

    function table(head) {
        const tbody = el('tbody');
        const t = el('table', {}, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col', text: h })))), tbody);
        return { table: t, tbody };
    }

    /* Rows of tbody keyed by keyOf(item), in the order of items: a row is
     * built once (build(item) -> tr) and updated in place (update(tr, item));
     * rows whose item is gone are removed. */
    function keyedRows(tbody, rows, items, keyOf, build, update) {
        const seen = new Set();
        let at = tbody.firstChild;
        for (const item of items) {
            const key = keyOf(item);
            seen.add(key);
            let tr = rows.get(key);
            if (!tr) {
                tr = build(item);
                rows.set(key, tr);
            }
            update(tr, item);
            if (tr !== at) tbody.insertBefore(tr, at);
            else at = at.nextSibling;
        }
        for (const [key, tr] of rows) {
            if (!seen.has(key)) {
                tr.remove();
                rows.delete(key);
            }
        }
    }

    /* ---- the status, read as `wolfpack status` reads it ------------------ */

    function field(st, key) {
        if (st[key] !== undefined) return st[key];
        for (const part of ['transport_status', 'repl', 'replication', 'membership', 'quorum']) {
            if (st[part] && typeof st[part] === 'object' && st[part][key] !== undefined) return st[part][key];
        }
        return undefined;
    }

    function members(st) {
        return field(st, 'members') || [];
    }

    function nodeState(node, mem) {
        if (typeof node.state === 'string') return node.state;
        if (!mem.includes(node.id)) return 'Down';
        if (node.drained) return 'Drained';
        return node.paused ? 'Paused' : 'Up';
    }

    function nodeQuorum(st, node) {
        if (!members(st).includes(node.id)) return '-';
        return field(st, 'quorate') ? 'yes' : 'no quorum';
    }

    function coordinator(st) {
        if (!field(st, 'quorate')) return null;
        const mem = members(st);
        let best = null;
        for (const n of st.nodes || []) if (mem.includes(n.id) && (!best || n.id < best.id)) best = n;
        return best ? best.name : null;
    }

    function policyNumber(obj, key, fallback) {
        const v = obj && obj.policy ? obj.policy[key] : undefined;
        return v !== undefined && /^[0-9]+$/.test(String(v)) ? Number(v) : fallback;
    }

    function recentCount(times, period, now) {
        return (times || []).filter((t) => t > now - period).length;
    }

    function durationText(s) {
        if (s >= 86400 && s % 86400 === 0) return s / 86400 + 'd';
        if (s >= 3600 && s % 3600 === 0) return s / 3600 + 'h';
        if (s >= 60 && s % 60 === 0) return s / 60 + 'm';
        return s + 's';
    }

    function resourcesOf(ui, group) {
        return ui.byGroup.get(group) || [];
    }

    function groupPending(res) {
        const r = res.find((x) => x.state && x.state.includes('Pending'));
        if (!r) return null;
        return (r.state.startsWith('Online') ? 'starting' : 'stopping') + ' on ' + (r.node || '?');
    }

    function wantsFailover(r, now) {
        const action = r.policy ? r.policy.restart_action : undefined;
        return (!action || action === 'failover') &&
            recentCount(r.restarts, policyNumber(r, 'restart_period', 900), now) >= policyNumber(r, 'restart_threshold', 3);
    }

    function groupFailedNote(g, st, res, now) {
        const th = g.policy ? g.policy.failover_threshold : undefined;
        const threshold = th === 'auto' ? (st.nodes || []).length - 1 : policyNumber(g, 'failover_threshold', 0);
        const period = policyNumber(g, 'failover_period', 21600);
        const count = recentCount(g.failovers, period, now);
        const failed = res.find((r) => r.state === 'Failed');
        const owner = (st.nodes || []).find((n) => n.name === g.owner);
        const down = owner && nodeState(owner, members(st)) === 'Down';
        const cause = down ? 'its node ' + owner.name + ' is down' : failed ? failed.name + ' failed' : 'given up by the cluster';
        if (!down && failed && !wantsFailover(failed, now)) return cause + ' (see its resources)';
        if (count >= threshold) {
            return cause + '; failover threshold reached (' + count + ' of ' + threshold + ' failovers in ' +
                durationText(period) + '); Online (or `wolfpack group online`) recovers';
        }
        return cause + '; no other node can take the group';
    }

    function groupNote(g, st, res, now) {
        const pending = groupPending(res);
        if (g.move_to) {
            return 'moving to ' + (g.move_to === '@best' ? 'the best node' : g.move_to) + ' (requested)' + (pending ? '; ' + pending : '');
        }
        if (g.state === 'Failed' && g.target === 'online') return groupFailedNote(g, st, res, now);
        return pending;
    }

    function restartText(r, now) {
        const period = policyNumber(r, 'restart_period', 900);
        const threshold = policyNumber(r, 'restart_threshold', 3);
        const count = recentCount(r.restarts, period, now);
        if (!count) return null;
        return 'restarts ' + count + ' of ' + threshold + ' in ' + durationText(period) + (count >= threshold ? ' (threshold reached)' : '');
    }

    function resourceStateNote(r, now) {
        const restarts = restartText(r, now);
        const err = r.last_error;
        if (r.state && r.state.includes('Pending')) {
            const s = Number.isInteger(r.pending_since) ? Math.max(0, now - r.pending_since) : 0;
            return (r.state.startsWith('Online') ? 'starting' : 'stopping') + ' on ' + (r.node || '?') + ' for ' + s + ' s' +
                (err ? '; last error: ' + err : '') + (restarts ? '; ' + restarts : '');
        }
        if (r.state === 'Failed') return (err || 'no error text recorded') + (restarts ? '; ' + restarts : '');
        if (r.target === 'offline' && !err) return 'taken offline by the operator';
        if (restarts || err) return [err ? 'last error: ' + err : null, restarts].filter(Boolean).join('; ');
        return null;
    }

    function resourceNote(r, now) {
        const parts = [];
        if (r.policy && r.policy.managed === 'false') parts.push('unmanaged');
        if (r.stop_failed) parts.push('STOP FAILED on ' + r.stop_failed);
        const n = resourceStateNote(r, now);
        if (n) parts.push(n);
        return parts.join('; ') || null;
    }

    /* Lines of the Fencing section: [{node, text, loud, todo}]. */
    function fencingLines(st) {
        const f = st.fencing || {};
        const mem = members(st);
        const lines = [];
        const held = (node) => (st.groups || []).filter((g) => g.owner === node).map((g) => g.name).join(', ') || '-';
        for (const [node, rec] of Object.entries(f.fencing || {})) {
            let text = 'lost; being fenced through its fence devices';
            let loud = false;
            let todo = '';
            if (rec.state === 'failed') {
                text = 'lost; fencing FAILED (retried): ' + (rec.error || '-');
                loud = true;
            } else if (rec.state === 'self-fencing') {
                text = 'lost; ' + (rec.error || '-');
            } else if (rec.state === 'unfenceable') {
                text = 'lost; CANNOT BE FENCED: it has no fence device and no watchdog';
                loud = true;
                todo = 'give it one (wolfpack fence create ... --nodes ' + node + '), or accept the risk for the cluster: wolfpack cluster fencing off. ';
            }
            todo += 'Its groups wait (' + held(node) + '); if you know ' + node + ' is off: wolfpack node confirm-down ' + node;
            lines.push({ node, text, loud, todo });
        }
        for (const node of Object.keys(f.poison || {})) lines.push({ node, text: 'poison pill sent: its watchdog resets it', loud: false, todo: '' });
        for (const [node, rec] of Object.entries(f.down || {})) {
            const n = (st.nodes || []).find((x) => x.name === node);
            if (n && mem.includes(n.id)) continue;
            const how = rec.how === 'confirmed' ? 'confirmed by the operator' : rec.how === 'watchdog' ? 'reset by its watchdog: its deadline passed' : 'fenced';
            lines.push({ node, text: 'down (' + how + ')', loud: false, todo: '' });
        }
        return lines;
    }

    /* Does a history entry name the group or one of its resources
     * (src/cli/cmd_history.c's --group filter)? */
    function namesGroup(e, group, resNames) {
        const args = e.args || {};
        const lower = (s) => String(s).toLowerCase();
        if (args.group && lower(args.group) === lower(group)) return true;
        if (!args.name || !e.op) return false;
        if (e.op.startsWith('group.')) return lower(args.name) === lower(group);
        if (e.op.startsWith('resource.')) return resNames.some((n) => lower(n) === lower(args.name));
        return false;
    }

    /* ---- the API --------------------------------------------------------- */

    function errorOf(reply) {
        const b = reply.body;
        if (b && b.error && typeof b.error === 'object') return b.error;
        if (b && typeof b.error === 'string') return { what: b.error };
        return { what: 'the request failed (HTTP ' + reply.status + ')', why: '', todo: '' };
    }

    /* What an op returned: /api/op answers wolfpackd's reply,
     * {"ok": true, "result": ..., "version": N}. */
    function opResult(reply) {
        const b = reply.body;
        return b && typeof b === 'object' && !Array.isArray(b) && 'result' in b ? b.result : b;
    }

    async function api(ui, method, path, body) {
        const headers = {};
        if (body !== undefined) headers['Content-Type'] = 'application/json';
        if (method !== 'GET' && ui.csrf) headers['X-CSRF-Token'] = ui.csrf;
        let res;
        try {
            res = await fetch(path, {
                method, headers, credentials: 'same-origin', cache: 'no-store',
                body: body === undefined ? undefined : JSON.stringify(body),
            });
        } catch (e) {
            return {
                status: 0, ok: false,
                body: { error: { what: 'the console cannot reach wolfpack-web', why: String(e.message || e), todo: 'check the node and the network; the page retries' } },
            };
        }
        const text = await res.text();
        let data = null;
        if (text) {
            try {
                data = JSON.parse(text);
            } catch (e) {
                data = { error: { what: 'wolfpack-web sent a reply that is not JSON (HTTP ' + res.status + ')', why: String(e.message || e), todo: 'see wolfpack-web\'s log' } };
            }
        }
        return { status: res.status, ok: res.ok, body: data, retryAfter: res.headers.get('Retry-After') };
    }

    /* ---- messages -------------------------------------------------------- */

    function showMessage(ui, text, error) {
        const m = ui.dom.message;
        m.replaceChildren();
        if (typeof text === 'string') {
            m.textContent = text;
        } else {
            m.append(el('span', { class: 'what', text: text.what || 'refused' }));
            if (text.why) m.append(el('span', { class: 'why', text: 'Why: ' + text.why }));
            if (text.todo) m.append(el('span', { class: 'todo', text: 'To do: ' + text.todo }));
        }
        m.className = error ? 'message error' : 'message';
        m.hidden = false;
    }

    /* ---- actions ---------------------------------------------------------- */

    async function runOp(ui, op, args, done) {
        const reply = await api(ui, 'POST', '/api/op', { op, args });
        if (reply.ok) showMessage(ui, done, false);
        else if (reply.status === 401) sessionEnded(ui);
        else showMessage(ui, errorOf(reply), true);
        requestRefresh(ui);
        return reply;
    }

    function actionButton(ui, label, ariaLabel, op, args, done) {
        return el('button', {
            type: 'button', 'data-op': op, 'aria-label': ariaLabel, text: label,
            onclick: (ev) => {
                ev.preventDefault();
                runOp(ui, op, typeof args === 'function' ? args() : args, typeof done === 'function' ? done() : done);
            },
        });
    }

    function moveSelect(ui, group) {
        const s = el('select', { class: 'move-to', 'aria-label': 'Node to move group ' + group + ' to' });
        fillMoveSelect(ui, s);
        return s;
    }

    function fillMoveSelect(ui, s) {
        if (s.dataset.nodes === ui.nodeKey) return;
        const keep = s.value;
        s.replaceChildren(el('option', { value: '', text: 'best node' }),
            ...ui.nodeNames.map((n) => el('option', { value: n, text: n })));
        if (ui.nodeNames.includes(keep)) s.value = keep;
        s.dataset.nodes = ui.nodeKey;
    }

    function groupActions(ui, name) {
        const sel = moveSelect(ui, name);
        const cell = el('td', { class: 'actions' },
            actionButton(ui, 'Online', 'Bring group ' + name + ' online', 'group.online', { name }, 'Group ' + name + ': target online'),
            actionButton(ui, 'Offline', 'Take group ' + name + ' offline', 'group.offline', { name }, 'Group ' + name + ': target offline'),
            sel,
            actionButton(ui, 'Move', 'Move group ' + name, 'group.move',
                () => (sel.value ? { name, to: sel.value } : { name }),
                () => 'Group ' + name + ': moves to ' + (sel.value || 'the best other node')),
            actionButton(ui, 'Clean up', 'Clean up the failures of group ' + name, 'group.cleanup', { name }, 'Group ' + name + ': failures cleaned up'));
        cell.moveSelect = sel;
        return cell;
    }

    function nodeActions(ui, name) {
        return el('td', { class: 'actions' },
            actionButton(ui, 'Pause', 'Pause node ' + name, 'node.pause', { name }, 'Node ' + name + ': paused'),
            actionButton(ui, 'Resume', 'Resume node ' + name, 'node.resume', { name }, 'Node ' + name + ': resumed'),
            actionButton(ui, 'Drain', 'Drain node ' + name, 'node.drain', { name }, 'Node ' + name + ': drained'));
    }

    /* ---- the overview ------------------------------------------------------ */

    function buildOverview(ui) {
        const v = ui.dom.overview;
        const o = {};
        o.summary = el('dl', { class: 'summary' });
        o.fields = {};
        for (const [k, label] of [['cluster', 'Cluster'], ['quorum', 'Quorate'], ['coordinator', 'Coordinator'], ['version', 'Version'], ['sync', 'Sync']]) {
            o.fields[k] = el('dd', { 'data-field': k });
            o.summary.append(el('div', {}, el('dt', { text: label + ':' }), o.fields[k]));
        }
        o.clusterActions = el('div', { class: 'actions', id: 'cluster-actions' });
        if (ui.role === 'admin') {
            o.maintOn = actionButton(ui, 'Maintenance on', 'Turn cluster maintenance mode on', 'cluster.maintenance', { on: true }, 'Cluster maintenance mode: on');
            o.maintOff = actionButton(ui, 'Maintenance off', 'Turn cluster maintenance mode off', 'cluster.maintenance', { on: false }, 'Cluster maintenance mode: off');
            o.clusterActions.append(o.maintOn, o.maintOff);
        }
        const admin = ui.role === 'admin';
        o.nodes = table(['Node', 'ID', 'Address', 'State', 'Quorum', 'Groups'].concat(admin ? ['Actions'] : []));
        o.nodes.table.id = 'nodes';
        o.nodeRows = new Map();
        o.fencing = el('section', { id: 'fencing', class: 'fencing', 'aria-label': 'Fencing' });
        o.groups = table(['Group', 'State', 'Owner', 'Preferred', 'Target', 'Resources', 'Note'].concat(admin ? ['Actions'] : []));
        o.groups.table.id = 'groups';
        o.groupRows = new Map();
        v.replaceChildren(el('h1', { text: 'Overview' }), o.summary, o.clusterActions,
            el('h2', { text: 'Nodes' }), o.nodes.table, o.fencing,
            el('h2', { text: 'Groups' }), o.groups.table);
        ui.ov = o;
    }

    function buildNodeRow(ui, n) {
        const c = {};
        const tr = el('tr', { 'data-node': n.name });
        for (const k of ['name', 'id', 'address', 'state', 'quorum', 'groups']) tr.append((c[k] = el('td', { class: k })));
        if (ui.role === 'admin') tr.append(nodeActions(ui, n.name));
        tr.cells_ = c;
        return tr;
    }

    function updateNodeRow(ui, tr, n) {
        const st = ui.status;
        const c = tr.cells_;
        setText(c.name, n.name);
        setText(c.id, n.id);
        setText(c.address, n.address);
        setState(c.state, nodeState(n, members(st)));
        setText(c.quorum, nodeQuorum(st, n));
        setText(c.groups, ui.owned.get(n.name) || '-');
    }

    function buildGroupRow(ui, g) {
        const c = {};
        const tr = el('tr', { 'data-group': g.name });
        c.name = el('td', { class: 'name' }, el('a', { href: '#/group/' + encodeURIComponent(g.name), text: g.name }));
        tr.append(c.name);
        for (const k of ['state', 'owner', 'preferred', 'target', 'resources', 'note']) tr.append((c[k] = el('td', { class: k })));
        if (ui.role === 'admin') {
            c.actions = groupActions(ui, g.name);
            tr.append(c.actions);
        }
        tr.cells_ = c;
        return tr;
    }

    function updateGroupRow(ui, tr, g, now) {
        const c = tr.cells_;
        const res = resourcesOf(ui, g.name);
        setState(c.state, g.state);
        setText(c.owner, g.owner);
        if (tr.dataset.owner !== (g.owner || '')) tr.dataset.owner = g.owner || '';
        setText(c.preferred, g.policy ? g.policy.preferred_owners : null);
        setText(c.target, g.target);
        setText(c.resources, res.map((r) => r.name + ' ' + r.state).join(', '));
        setText(c.note, groupNote(g, ui.status, res, now));
        if (c.actions) fillMoveSelect(ui, c.actions.moveSelect);
    }

    function renderFencing(ui) {
        const lines = fencingLines(ui.status);
        const key = JSON.stringify(lines);
        const f = ui.ov.fencing;
        if (f.dataset.key === key) return;
        f.dataset.key = key;
        if (!lines.length) {
            f.replaceChildren();
            return;
        }
        f.replaceChildren(el('h2', { text: 'Fencing' }), el('ul', {}, ...lines.map((l) =>
            el('li', { 'data-node': l.node },
                el('span', { class: l.loud ? 'loud' : '', text: l.node + ': ' + l.text }),
                l.todo ? el('div', { class: 'muted', text: l.todo }) : null))));
    }

    function renderOverview(ui) {
        if (!ui.ov) buildOverview(ui);
        const st = ui.status;
        const o = ui.ov;
        const now = Math.floor(Date.now() / 1000);
        const q = field(st, 'quorate');
        setText(o.fields.cluster, st.cluster);
        setText(o.fields.quorum, (q ? 'yes' : 'NO') + ' (' + members(st).length + ' of ' + (st.nodes || []).length + ' nodes in this partition)');
        setText(o.fields.coordinator, coordinator(st));
        setText(o.fields.version, st.version);
        setText(o.fields.sync, st.sync || field(st, 'sync'));
        if (o.maintOn) {
            o.maintOn.hidden = !!st.maintenance;
            o.maintOff.hidden = !st.maintenance;
        }
        keyedRows(o.nodes.tbody, o.nodeRows, st.nodes || [], (n) => n.name, (n) => buildNodeRow(ui, n), (tr, n) => updateNodeRow(ui, tr, n));
        renderFencing(ui);
        keyedRows(o.groups.tbody, o.groupRows, st.groups || [], (g) => g.name, (g) => buildGroupRow(ui, g), (tr, g) => updateGroupRow(ui, tr, g, now));
    }

    /* ---- the group page ---------------------------------------------------- */

    /* Layers by depends-on: a resource sits one layer below the deepest
     * resource it depends on (those without dependencies on top). */
    function layers(res) {
        const byName = new Map(res.map((r) => [r.name, r]));
        const depth = new Map();
        const visit = (r, seen) => {
            if (depth.has(r.name)) return depth.get(r.name);
            if (seen.has(r.name)) return 0; /* a cycle: the daemon refuses them; do not loop */
            seen.add(r.name);
            let d = 0;
            for (const dep of r.depends_on || []) if (byName.has(dep)) d = Math.max(d, visit(byName.get(dep), seen) + 1);
            depth.set(r.name, d);
            return d;
        };
        for (const r of res) visit(r, new Set());
        const out = [];
        for (const r of res) (out[depth.get(r.name)] = out[depth.get(r.name)] || []).push(r);
        return out;
    }

    function dependencyGraph(res) {
        const W = 150, H = 44, GX = 30, GY = 50;
        const rows = layers(res);
        const widest = Math.max(1, ...rows.map((l) => l.length));
        const width = widest * (W + GX) + GX, height = rows.length * (H + GY);
        const pos = new Map();
        rows.forEach((l, y) => l.forEach((r, x) => pos.set(r.name, { x: GX + x * (W + GX), y: GY / 2 + y * (H + GY) })));
        const g = svg('svg', { class: 'graph', id: 'dep-graph', role: 'img', width, height, viewBox: '0 0 ' + width + ' ' + height });
        g.append(svg('title', { text: 'Dependencies: each arrow points from a resource to one it depends on' }));
        g.append(svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '8', markerHeight: '8', orient: 'auto-start-reverse' },
            svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))));
        for (const r of res) {
            const a = pos.get(r.name);
            for (const dep of r.depends_on || []) {
                const b = pos.get(dep);
                if (!b) continue;
                g.append(svg('line', { 'data-from': r.name, 'data-to': dep, x1: a.x + W / 2, y1: a.y, x2: b.x + W / 2, y2: b.y + H, 'marker-end': 'url(#arrow)' }));
            }
        }
        for (const r of res) {
            const p = pos.get(r.name);
            g.append(svg('g', { 'data-resource': r.name },
                svg('rect', { x: p.x, y: p.y, width: W, height: H, rx: 6, class: stateClass(r.state) }),
                svg('text', { x: p.x + 8, y: p.y + 18, text: r.name }),
                svg('text', { x: p.x + 8, y: p.y + 35, text: (r.state || '-') + (r.node ? ' on ' + r.node : '') })));
        }
        return g;
    }

    function kvTable(obj, head) {
        const t = table(head);
        for (const [k, v] of Object.entries(obj || {}).sort()) t.tbody.append(el('tr', {}, el('td', { text: k }), el('td', { text: v === '' || v === null ? '-' : String(v) })));
        return t.table;
    }

    function resourcesTable(res, now) {
        const t = table(['Resource', 'Type', 'State', 'Node', 'Depends on', 'Note']);
        t.table.id = 'resources';
        for (const r of res) {
            t.tbody.append(el('tr', { 'data-resource': r.name },
                el('td', { text: r.name }), el('td', { text: r.type || r.class || '-' }),
                el('td', { class: 'state ' + stateClass(r.state), text: r.state || '-' }),
                el('td', { class: 'node', text: r.node || '-' }),
                el('td', { text: (r.depends_on || []).join(', ') || '-' }),
                el('td', { class: 'note', text: resourceNote(r, now) || '-' })));
        }
        return t.table;
    }

    function failuresTable(g, res, now) {
        const t = table(['Resource', 'Node', 'Failures', 'Last error']);
        t.table.id = 'failures';
        for (const r of res) {
            for (const [node, count] of Object.entries(r.failures || {})) {
                t.tbody.append(el('tr', {}, el('td', { text: r.name }), el('td', { text: node }), el('td', { text: String(count) }),
                    el('td', { text: (r.node === node && r.last_error) || '-' })));
            }
        }
        const period = policyNumber(g, 'failover_period', 21600);
        const lines = [el('p', { text: 'Failovers in the last ' + durationText(period) + ': ' + recentCount(g.failovers, period, now) })];
        for (const r of res) {
            const txt = restartText(r, now);
            if (txt) lines.push(el('p', { text: r.name + ': ' + txt }));
        }
        if (!t.tbody.firstChild) return el('div', {}, ...lines, el('p', { class: 'muted', text: 'No failures since the last clean-up.' }));
        return el('div', {}, ...lines, t.table);
    }

    function historyTable(entries) {
        const t = table(['Time (UTC)', 'Version', 'User', 'Node', 'Command']);
        t.table.id = 'history';
        for (const e of entries) {
            const when = new Date((e.at || 0) * 1000).toISOString().replace('T', ' ').slice(0, 19);
            t.tbody.append(el('tr', {}, el('td', { text: when }), el('td', { text: String(e.version) }), el('td', { text: e.user || '-' }),
                el('td', { text: e.node || '-' }), el('td', { text: (e.op || '?') + ' ' + JSON.stringify(e.args || {}) })));
        }
        if (!entries.length) return el('p', { class: 'muted', text: 'No change recorded for this group.' });
        return t.table;
    }

    /* One section of the group page, rebuilt only when its data changed. */
    function groupSection(ui, id, title, data, build) {
        const key = JSON.stringify(data);
        let s = ui.gp.sections.get(id);
        if (!s) {
            s = { node: el('section', { id }), key: null };
            ui.gp.sections.set(id, s);
            ui.dom.group.append(s.node);
        }
        if (s.key === key) return;
        s.key = key;
        s.node.replaceChildren(el('h2', { text: title }), build());
    }

    function renderGroup(ui, name) {
        const st = ui.status;
        const g = (st.groups || []).find((x) => x.name === name);
        if (!ui.gp || ui.gp.name !== name) {
            ui.gp = { name, sections: new Map() };
            ui.dom.group.replaceChildren(el('p', {}, el('a', { href: '#/', text: '\u2190 Overview' })));
        }
        if (!g) {
            groupSection(ui, 'group-head', 'Group ' + name, 'missing', () => el('p', { class: 'error', text: 'There is no group ' + name + ' (any more).' }));
            return;
        }
        const now = Math.floor(Date.now() / 1000);
        const res = resourcesOf(ui, name);
        const note = groupNote(g, st, res, now);
        groupSection(ui, 'group-head', 'Group ' + name, [g.state, g.owner, g.target, note, ui.nodeKey], () => {
            const dl = el('dl', { class: 'summary' });
            for (const [label, v, cls] of [['State', g.state, 'state ' + stateClass(g.state)], ['Owner', g.owner, 'owner'], ['Target', g.target, 'target'], ['Note', note, 'note']]) {
                dl.append(el('div', {}, el('dt', { text: label + ':' }), el('dd', { class: cls, text: v || '-' })));
            }
            if (ui.role !== 'admin') return dl;
            const acts = groupActions(ui, name);
            return el('div', {}, dl, el('div', { class: 'actions' }, ...acts.childNodes));
        });
        groupSection(ui, 'group-resources', 'Resources', [res, now - (now % 10)], () => el('div', {}, resourcesTable(res, now), res.length ? dependencyGraph(res) : el('p', { class: 'muted', text: 'No resources.' })));
        groupSection(ui, 'group-policies', 'Policies', g.policy, () => kvTable(g.policy, ['Policy', 'Value']));
        groupSection(ui, 'group-failures', 'Failures', [res.map((r) => [r.failures, r.restarts]), g.failovers, now - (now % 60)], () => failuresTable(g, res, now));
        const hist = (ui.history || []).filter((e) => namesGroup(e, name, res.map((r) => r.name))).slice(-HISTORY_ROWS).reverse();
        groupSection(ui, 'group-history', 'History (latest ' + HISTORY_ROWS + ')', hist, () => historyTable(hist));
    }

    /* ---- applications ------------------------------------------------------ */

    function opView(op) {
        if (!op) return el('p', { class: 'muted', text: 'No operation running.' });
        const dl = el('dl');
        for (const [k, v] of Object.entries(op)) dl.append(el('dt', { text: k }), el('dd', { text: typeof v === 'object' ? JSON.stringify(v) : String(v) }));
        return dl;
    }

    function renderApps(ui) {
        const apps = ui.apps;
        const key = JSON.stringify(apps);
        const v = ui.dom.apps;
        if (v.dataset.key === key) return;
        v.dataset.key = key;
        if (!apps) {
            v.replaceChildren(el('h1', { text: 'Applications' }), el('p', { class: 'muted', text: 'Loading\u2026' }));
            return;
        }
        if (apps.error) {
            v.replaceChildren(el('h1', { text: 'Applications' }), el('p', { class: 'error', text: apps.error.what + (apps.error.why ? ': ' + apps.error.why : '') }));
            return;
        }
        const t = table(['Application', 'Version', 'Group', 'Versions per node', 'Operation']);
        t.table.id = 'apps';
        for (const a of apps.list) {
            const name = a.app || a.name;
            const nodes = (a.nodes || []).map((n) => n.node + ' ' + (n.version || '?')).join(', ');
            t.tbody.append(el('tr', { 'data-app': name }, el('td', { text: name }), el('td', { text: a.version || '-' }),
                el('td', { text: a.group || '-' }), el('td', { text: nodes || '-' }), el('td', {}, opView(apps.ops[name]))));
        }
        v.replaceChildren(el('h1', { text: 'Applications' }),
            apps.list.length ? t.table : el('p', { class: 'muted', text: 'No cluster application installed (wolfpack app install KIT --cluster).' }));
    }

    async function loadApps(ui) {
        const reply = await api(ui, 'POST', '/api/op', { op: 'app.list', args: {} });
        if (!reply.ok) {
            ui.apps = { error: errorOf(reply) };
            return;
        }
        const got = opResult(reply);
        const list = Array.isArray(got) ? got : [];
        const ops = {};
        await Promise.all(list.map(async (a) => {
            const name = a.app || a.name;
            const r = await api(ui, 'POST', '/api/op', { op: 'app.op.show', args: { name } });
            ops[name] = r.ok ? opResult(r) : null;
        }));
        ui.apps = { list, ops };
    }

    /* ---- loading and the live stream -------------------------------------- */

    function indexStatus(ui) {
        const st = ui.status;
        ui.byGroup = new Map();
        for (const r of st.resources || []) {
            if (!ui.byGroup.has(r.group)) ui.byGroup.set(r.group, []);
            ui.byGroup.get(r.group).push(r);
        }
        ui.owned = new Map();
        for (const g of st.groups || []) if (g.owner) ui.owned.set(g.owner, (ui.owned.get(g.owner) ? ui.owned.get(g.owner) + ', ' : '') + g.name);
        ui.nodeNames = (st.nodes || []).map((n) => n.name);
        ui.nodeKey = ui.nodeNames.join(',');
    }

    /* The status as `wolfpack status --json` prints it, with the resources
     * (absent while the node syncs: then none are shown). */
    async function loadStatus(ui) {
        const t0 = performance.now();
        /* the server's cached status, unless it is older than what the events
         * said (version) or a membership changed (fresh: the cache's watch
         * may not have heard of it yet) */
        const q = ui.needFresh ? '?fresh=1' : ui.seenVersion ? '?version=' + ui.seenVersion : '';
        ui.needFresh = false;
        const reply = await api(ui, 'GET', '/api/status' + q);
        if (reply.status === 401) return sessionEnded(ui);
        if (!reply.ok || !reply.body) {
            if (reply.status === 0) ui.dom.connBanner.hidden = false; /* unreachable */
            else showMessage(ui, errorOf(reply), true); /* it answered: say what it said */
            return false;
        }
        const st = reply.body;
        if (!Array.isArray(st.resources)) st.resources = [];
        ui.stats.lastFetchMs = performance.now() - t0;
        if (ui.events && ui.events.readyState === EventSource.OPEN) ui.dom.connBanner.hidden = true;
        ui.status = st;
        indexStatus(ui);
        const route = currentRoute();
        if (route.view === 'group') {
            const h = await api(ui, 'GET', '/api/history');
            ui.history = h.ok && Array.isArray(h.body) ? h.body : ui.history;
        } else if (route.view === 'apps') {
            await loadApps(ui);
        }
        return true;
    }

    function currentRoute() {
        const h = location.hash || '#/';
        const m = h.match(/^#\/group\/(.+)$/);
        if (m) return { view: 'group', name: decodeURIComponent(m[1]) };
        if (h === '#/apps') return { view: 'apps' };
        return { view: 'overview' };
    }

    function showView(ui, name) {
        for (const [k, node] of Object.entries(ui.dom.views)) {
            if (node.hidden !== (k !== name)) node.hidden = k !== name;
        }
    }

    function render(ui) {
        if (!ui.status || !ui.role) return;
        const t0 = performance.now();
        const st = ui.status;
        ui.dom.maintBanner.hidden = !st.maintenance;
        ui.dom.fencingBanner.hidden = !(st.fencing && st.fencing.enabled === false);
        const route = currentRoute();
        showView(ui, route.view);
        if (route.view === 'group') renderGroup(ui, route.name);
        else if (route.view === 'apps') renderApps(ui);
        else renderOverview(ui);
        const t1 = performance.now();
        const s = ui.stats;
        s.renders++;
        s.lastRenderMs = t1 - t0;
        s.lastRenderAt = t1;
        s.lastVersion = st.version;
        if (s.firstRenderMs === null) {
            s.firstRenderMs = t1 - t0;
            s.firstRenderAt = t1;
        }
    }

    /* What an event says changed, shown at once (the refetch that follows
     * brings the rest): a membership's members and quorum, a decision's
     * owners, a report's resource state.  Nothing else is guessed: a group's
     * state is the daemon's to derive. */
    function applyEvent(ui, e, arrived) {
        const st = ui.status;
        if (!st || !ui.role) return;
        let changed = false;
        if (e.event === 'membership' && Array.isArray(e.members)) {
            st.members = e.members;
            if (st.replication && typeof st.replication === 'object') st.replication.members = e.members;
            st.quorate = e.quorate === true;
            changed = true;
        } else if (e.event === 'applied' && e.owners && typeof e.owners === 'object') {
            for (const g of st.groups || []) {
                if (!Object.prototype.hasOwnProperty.call(e.owners, g.name) || g.owner === e.owners[g.name]) continue;
                g.owner = e.owners[g.name];
                changed = true;
            }
        } else if (e.event === 'applied' && e.resource && e.resource.name) {
            const r = (st.resources || []).find((x) => x.name === e.resource.name);
            if (r && (r.state !== e.resource.state || r.node !== e.resource.node)) {
                r.state = e.resource.state;
                r.node = e.resource.node;
                changed = true;
            }
        }
        if (!changed) return;
        indexStatus(ui);
        ui.stats.renderedEventAt = arrived;
        ui.stats.renderedDaemonAt = Number.isInteger(e.at_ms) ? e.at_ms : null;
        render(ui);
    }

    function requestRefresh(ui) {
        if (ui.refreshTimer) return;
        ui.refreshTimer = setTimeout(() => {
            ui.refreshTimer = null;
            runRefresh(ui);
        }, REFRESH_DELAY_MS);
    }

    async function runRefresh(ui) {
        if (ui.inFlight) {
            ui.again = true;
            return;
        }
        ui.inFlight = true;
        try {
            do {
                ui.again = false;
                const cause = ui.pendingEventAt; /* the first event this fetch answers */
                const applied = ui.pendingDaemonAt; /* its time in the daemon (epoch ms) */
                ui.pendingEventAt = ui.pendingDaemonAt = null;
                if (await loadStatus(ui)) {
                    ui.stats.renderedEventAt = cause;
                    ui.stats.renderedDaemonAt = applied;
                    render(ui);
                }
            } while (ui.again && ui.role);
        } finally {
            ui.inFlight = false;
        }
    }

    function closeEvents(ui) {
        if (ui.events) ui.events.close();
        ui.events = null;
        clearTimeout(ui.reconnectTimer);
    }

    function openEvents(ui) {
        closeEvents(ui);
        const es = new EventSource('/api/events');
        ui.events = es;
        es.onopen = () => {
            ui.dom.connBanner.hidden = true;
            ui.needFresh = true;
            requestRefresh(ui); /* catch up with what happened while away */
        };
        es.onmessage = (ev) => {
            ui.stats.events++;
            ui.stats.lastEventAt = performance.now();
            if (ui.pendingEventAt === null) ui.pendingEventAt = ui.stats.lastEventAt;
            try {
                ui.stats.lastEvent = JSON.parse(ev.data);
            } catch (e) {
                ui.stats.lastEvent = null;
            }
            const e = ui.stats.lastEvent || {};
            if (e.event !== 'applied') ui.needFresh = true; /* membership: not in the version */
            if (Number.isInteger(e.version) && e.version > ui.seenVersion) ui.seenVersion = e.version;
            if (ui.pendingDaemonAt === null && Number.isInteger(e.at_ms)) ui.pendingDaemonAt = e.at_ms;
            applyEvent(ui, e, ui.stats.lastEventAt);
            requestRefresh(ui);
        };
        es.onerror = () => {
            ui.dom.connBanner.hidden = false;
            if (es.readyState !== EventSource.CLOSED) return; /* the browser retries itself */
            ui.reconnectTimer = setTimeout(async () => {
                const s = await api(ui, 'GET', '/api/session');
                if (s.status === 401) sessionEnded(ui);
                else if (ui.role) openEvents(ui);
            }, RECONNECT_MS);
        };
    }

    /* ---- session ----------------------------------------------------------- */

    function loggedIn(ui, session) {
        ui.user = session.user;
        ui.role = session.role;
        ui.csrf = session.csrf;
        ui.ov = null;
        ui.gp = null;
        ui.dom.who.textContent = session.user + ' (' + session.role + ')';
        ui.dom.logout.hidden = false;
        ui.dom.nav.hidden = false;
        ui.dom.views.login.hidden = true;
        ui.dom.message.hidden = true;
        openEvents(ui);
        runRefresh(ui);
    }

    function showLogin(ui, why) {
        closeEvents(ui);
        ui.user = ui.role = ui.csrf = null;
        ui.status = null;
        ui.dom.who.textContent = '';
        ui.dom.logout.hidden = true;
        ui.dom.nav.hidden = true;
        ui.dom.connBanner.hidden = true;
        ui.dom.maintBanner.hidden = true;
        ui.dom.fencingBanner.hidden = true;
        for (const k of ['overview', 'group', 'apps']) ui.dom.views[k].replaceChildren();
        delete ui.dom.views.apps.dataset.key;
        showView(ui, 'login');
        const e = ui.dom.loginError;
        e.textContent = why || '';
        e.hidden = !why;
        ui.dom.loginUser.focus();
    }

    function sessionEnded(ui) {
        showLogin(ui, 'Your session ended (logged out or idle too long): log in again.');
        return false;
    }

    function loginRefusal(reply) {
        const e = errorOf(reply);
        const detail = [e.why, e.todo].filter(Boolean).join(' ');
        if (reply.status === 401) return 'Wrong user name or password.' + (detail ? ' ' + detail : '');
        if (reply.status === 429) return 'Too many failed logins: try again' + (reply.retryAfter ? ' in ' + reply.retryAfter + ' s.' : ' later.');
        return (e.what || 'Login refused') + (detail ? ': ' + detail : '');
    }

    async function submitLogin(ui, ev) {
        ev.preventDefault();
        const user = ui.dom.loginUser.value;
        const password = ui.dom.loginPassword.value;
        ui.dom.loginSubmit.disabled = true;
        const reply = await api(ui, 'POST', '/api/login', { user, password });
        ui.dom.loginSubmit.disabled = false;
        ui.dom.loginPassword.value = '';
        if (reply.ok && reply.body && reply.body.role) {
            loggedIn(ui, reply.body);
            return;
        }
        ui.dom.loginError.textContent = loginRefusal(reply);
        ui.dom.loginError.hidden = false;
    }

    async function logout(ui) {
        await api(ui, 'POST', '/api/logout', {});
        showLogin(ui, '');
    }

    /* ---- start ------------------------------------------------------------- */

    function newConsole() {
        const $ = (id) => document.getElementById(id);
        const ui = {
            dom: {
                main: $('main'), message: $('message'), who: $('who'), logout: $('logout'), nav: $('nav'),
                connBanner: $('banner-conn'), maintBanner: $('banner-maint'), fencingBanner: $('banner-fencing'),
                loginForm: $('login-form'), loginUser: $('login-user'), loginPassword: $('login-password'),
                loginSubmit: $('login-submit'), loginError: $('login-error'),
                overview: $('view-overview'), group: $('view-group'), apps: $('view-apps'),
            },
            user: null, role: null, csrf: null, status: null, history: null, apps: null,
            byGroup: new Map(), owned: new Map(), nodeNames: [], nodeKey: '',
            ov: null, gp: null, events: null, refreshTimer: null, reconnectTimer: null, inFlight: false, again: false, pendingEventAt: null, pendingDaemonAt: null, seenVersion: 0, needFresh: false,
            stats: { renders: 0, firstRenderMs: null, firstRenderAt: null, renderedEventAt: null, renderedDaemonAt: null, lastFetchMs: null, lastRenderMs: null, lastRenderAt: null, events: 0, lastEventAt: null, lastEvent: null, lastVersion: null },
        };
        ui.dom.views = { login: $('view-login'), overview: ui.dom.overview, group: ui.dom.group, apps: ui.dom.apps };
        ui.dom.loginForm.addEventListener('submit', (ev) => submitLogin(ui, ev));
        ui.dom.logout.addEventListener('click', () => logout(ui));
        window.addEventListener('hashchange', () => {
            ui.dom.message.hidden = true;
            if (ui.role) runRefresh(ui);
        });
        return ui;
    }

    async function start() {
        const ui = newConsole();
        window.wpConsole = ui;
        const s = await api(ui, 'GET', '/api/session');
        if (s.ok && s.body && s.body.role) loggedIn(ui, s.body);
        else showLogin(ui, '');
    }

    document.addEventListener('DOMContentLoaded', start);
})();
