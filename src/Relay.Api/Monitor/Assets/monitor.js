// Relay monitor: the server's rooms, a room's members and the relay rates, polled over the REST API with the
// browser client's RelayApi (/client/relay.js). The API key the user types in goes only into this page's own
// requests (X-Api-Key) and into this tab's sessionStorage; it is never put in an address or written anywhere
// else. REST reads carry no room credentials, and this page neither asks for nor keeps any.
import { RelayApi, RelayApiError } from '/client/relay.js';

const POLL_MS = 2000;
const REQUEST_TIMEOUT_MS = 8000;
const WINDOW_MS = 120_000;
const MAX_SAMPLES = 120;
const PAGE_LIMIT = 500;
const KEY_STORAGE = 'relay-monitor.api-key';
const MAX_METADATA_CHARS = 300;

const byId = (id) => document.getElementById(id);

const el = {
    keyForm: byId('key-form'), key: byId('api-key'), keyToggle: byId('api-key-toggle'), forgetKey: byId('forget-key'),
    authError: byId('auth-error'), pollStatus: byId('poll-status'), actionStatus: byId('action-status'),
    rooms: byId('summary-rooms'), clients: byId('summary-clients'), rate: byId('summary-rate'),
    relayed: byId('summary-relayed'), bytes: byId('summary-bytes'), uptime: byId('summary-uptime'),
    rateChart: byId('rate-chart'), rateText: byId('rate-chart-text'),
    clientsChart: byId('clients-chart'), clientsText: byId('clients-chart-text'),
    roomsCaption: byId('rooms-caption'), roomsBody: byId('rooms-body'), roomsHeading: byId('rooms-heading'),
    view: byId('room-view'), viewHeading: byId('room-heading'), viewId: byId('room-view-id'), viewSummary: byId('room-view-summary'),
    viewRelayed: byId('room-view-relayed'), viewRate: byId('room-view-rate'),
    lock: byId('lock-room'), remove: byId('delete-room'), closeView: byId('close-room-view'),
    confirm: byId('delete-confirm'), confirmText: byId('delete-confirm-text'),
    confirmYes: byId('delete-confirm-yes'), confirmNo: byId('delete-confirm-no'),
    membersCaption: byId('members-caption'), membersBody: byId('members-body'),
};

/** Counter samples for the charts: `{t, relayed, rate, clients}`, `t` from performance.now(). */
let samples = [];
/** Each room's last relay count and the rate it gave, `{t, relayed, rate}` by room id: the rooms of the last refresh. */
let roomSamples = new Map();
/** The room shown in the room view: its id, and its last read (with `clients`) or null before the first. */
let selectedId = null;
let selected = null;
/** After a 401 nothing is polled until a key is entered. */
let blocked = false;
let timer = 0;

// ---- the API key ------------------------------------------------------------------------------------------

function storedKey() {
    try {
        return sessionStorage.getItem(KEY_STORAGE) ?? '';
    } catch {
        return '';
    }
}

function storeKey(key) {
    try {
        if (key) sessionStorage.setItem(KEY_STORAGE, key);
        else sessionStorage.removeItem(KEY_STORAGE);
    } catch {
        // Storage is off in this browser: the key lives in the field only.
    }
}

/** The key requests go with ('' for none): the one entered last with Use key, at first the one kept for this tab. */
let activeKey = storedKey();

function api(key) {
    return new RelayApi({
        apiKey: key || undefined,
        // Every request is bounded: a server that does not answer cannot stall the polling.
        fetch: (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
    });
}

el.keyToggle.addEventListener('click', () => {
    const show = el.key.type === 'password';
    el.key.type = show ? 'text' : 'password';
    el.keyToggle.setAttribute('aria-pressed', String(show));
    el.keyToggle.textContent = show ? 'Hide' : 'Show';
});

el.keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    activeKey = el.key.value.trim();
    storeKey(activeKey);
    blocked = false;
    setStatus(activeKey ? 'Checking the key…' : 'Refreshing without a key…');
    pollSoon(0);
});

el.forgetKey.addEventListener('click', () => {
    el.key.value = '';
    activeKey = '';
    storeKey('');
    blocked = false;
    clearData();
    setStatus('The key is forgotten. Refreshing without a key…');
    pollSoon(0);
});

/**
 * A 401 to a request sent with `key`: say why, show no data, keep no rejected key, and wait for another key. An
 * answer to a key that has since been replaced changes nothing: the new key's own requests decide.
 */
function refused(error, key) {
    if (key !== activeKey) return;
    const sent = key !== '';
    blocked = true;
    clearTimeout(timer);
    timer = 0;
    if (sent) storeKey('');
    clearData();
    const server = [error.title, error.detail].filter(Boolean).join(': ');
    el.authError.textContent = sent
        ? `API key rejected: the server did not accept this key. Enter one of its Relay:ApiKeys and press Use key. (${server})`
        : `API key required: this server's REST API needs one of its Relay:ApiKeys. Enter it above and press Use key. (${server})`;
    el.authError.hidden = false;
    setStatus('');
    report('');
    el.key.focus();
}

// ---- polling ----------------------------------------------------------------------------------------------

/** Polls and actions run one at a time, so an answer never lands on a view a later action changed. */
let queue = Promise.resolve();
function serialized(task) {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
}

function pollSoon(delay) {
    clearTimeout(timer);
    timer = setTimeout(poll, delay);
}

async function poll() {
    timer = 0;
    if (blocked) return;
    if (document.hidden) {
        setStatus('Paused while this tab is hidden.');
        return;
    }
    await serialized(refresh);
    if (timer === 0 && !blocked && !document.hidden) timer = setTimeout(poll, POLL_MS);
}

document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
        clearTimeout(timer);
        timer = 0;
        setStatus('Paused while this tab is hidden.');
    } else if (!blocked) {
        pollSoon(0);
    }
});

async function refresh() {
    const key = activeKey;
    const client = api(key);
    const roomId = selectedId;
    try {
        const [summary, list, room] = await Promise.all([
            client.getSummary(),
            client.listRooms({ limit: PAGE_LIMIT }),
            roomId === null ? null : client.getRoom(roomId).catch((error) => {
                if (error instanceof RelayApiError && error.status === 404) return null;
                throw error;
            }),
        ]);
        el.authError.hidden = true;
        el.authError.textContent = '';
        showSummary(summary);
        const items = Array.isArray(list.items) ? list.items : [];
        // The selected room is sampled too when it is beyond the listed page.
        sampleRooms(room && !items.some((r) => r.id === room.id) ? [...items, room] : items, performance.now());
        showRooms(list);
        if (roomId !== null && roomId === selectedId) {
            if (room) {
                showRoom(room);
            } else {
                closeRoomView();
                report(`Room ${roomId} no longer exists.`, 'error');
            }
        }
        // The tab may have been hidden while this refresh was on its way.
        if (document.hidden) setStatus('Paused while this tab is hidden.');
        else setStatus(`Live: updated at ${new Date().toLocaleTimeString(undefined, { hour12: false })}, every ${POLL_MS / 1000} s.`, 'ok');
    } catch (error) {
        if (error instanceof RelayApiError && error.status === 401) {
            refused(error, key);
            return;
        }
        setStatus(`Could not refresh: ${describeError(error)}`, 'error');
    }
}

// ---- the summary and its charts ---------------------------------------------------------------------------

function showFigure(element, value, text) {
    element.dataset.value = String(value);
    element.textContent = text ?? Number(value).toLocaleString('en');
}

/** A relay rate (messages/s) followed by `unit`, or '–' while there is none. */
function showRate(element, rate, unit) {
    if (rate === null) {
        delete element.dataset.value;
        element.textContent = '–';
    } else {
        showFigure(element, rate, `${formatRate(rate)}${unit}`);
    }
}

/**
 * The rate (per second) of a relay count from the sample `last` (`{t, relayed}`) to `relayed` at `t`: null at the
 * first sample, and when the count went back (a restart, or another node answered first).
 */
function rateSince(last, t, relayed) {
    return last && typeof relayed === 'number' && relayed >= last.relayed && t > last.t
        ? (relayed - last.relayed) / ((t - last.t) / 1000)
        : null;
}

function showSummary(summary) {
    const t = performance.now();
    const rate = rateSince(samples.at(-1), t, summary.messagesRelayed);
    samples.push({ t, relayed: summary.messagesRelayed, rate, clients: summary.clients });
    samples = samples.filter((s) => s.t >= t - WINDOW_MS).slice(-MAX_SAMPLES);

    showFigure(el.rooms, summary.rooms);
    showFigure(el.clients, summary.clients);
    showFigure(el.relayed, summary.messagesRelayed);
    showFigure(el.bytes, summary.bytesRelayed);
    showFigure(el.uptime, summary.uptimeSeconds, formatDuration(summary.uptimeSeconds));
    showRate(el.rate, rate, ' messages/s');
    drawCharts();
}

function formatRate(rate) {
    return rate.toFixed(rate < 10 ? 1 : 0);
}

function formatDuration(seconds) {
    const d = Math.floor(seconds / 86400);
    const h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = Math.floor(seconds % 60);
    return [d && `${d} d`, (d || h) && `${h} h`, (d || h || m) && `${m} min`, `${s} s`].filter(Boolean).join(' ');
}

function drawCharts() {
    const now = performance.now();
    const rates = samples.filter((s) => s.rate !== null).map((s) => ({ t: s.t, v: s.rate }));
    const clients = samples.map((s) => ({ t: s.t, v: s.clients }));
    drawChart(el.rateChart, rates, now);
    drawChart(el.clientsChart, clients, now);
    el.rateText.textContent = describeSeries(rates, (v) => `${formatRate(v)} messages/s`);
    el.clientsText.textContent = describeSeries(clients, (v) => String(v));
}

function describeSeries(points, format) {
    if (points.length === 0) return 'No samples yet.';
    const peak = Math.max(...points.map((p) => p.v));
    return `Now ${format(points.at(-1).v)}, peak ${format(peak)} (${points.length} sample${points.length === 1 ? '' : 's'}).`;
}

/** A line chart of `points` over the last WINDOW_MS, scaled to its largest value; colours from the page's CSS. */
function drawChart(canvas, points, now) {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== width) canvas.width = width;
    if (canvas.height !== height) canvas.height = height;
    canvas.dataset.samples = String(points.length);
    canvas.dataset.peak = String(points.length ? Math.max(...points.map((p) => p.v)) : 0);
    const context = canvas.getContext('2d');
    if (!context) return;
    const styles = getComputedStyle(canvas);
    const w = width / ratio;
    const h = height / ratio;
    const pad = { left: 44, right: 8, top: 8, bottom: 18 };
    const plotW = Math.max(1, w - pad.left - pad.right);
    const plotH = Math.max(1, h - pad.top - pad.bottom);
    const top = niceCeiling(Math.max(1, ...points.map((p) => p.v)));

    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, w, h);
    context.font = `12px ${styles.fontFamily}`;
    context.fillStyle = styles.getPropertyValue('--muted').trim() || 'gray';
    context.strokeStyle = styles.getPropertyValue('--border').trim() || 'gray';
    context.lineWidth = 1;
    context.beginPath();
    for (const y of [pad.top, pad.top + plotH / 2, pad.top + plotH]) {
        context.moveTo(pad.left, Math.round(y) + 0.5);
        context.lineTo(pad.left + plotW, Math.round(y) + 0.5);
    }
    context.stroke();
    context.textAlign = 'right';
    context.textBaseline = 'middle';
    context.fillText(String(top), pad.left - 6, pad.top);
    context.fillText('0', pad.left - 6, pad.top + plotH);
    context.textBaseline = 'bottom';
    context.fillText('now', pad.left + plotW, h);
    context.textAlign = 'left';
    context.fillText(`−${WINDOW_MS / 1000} s`, pad.left, h);

    if (points.length === 0) return;
    const x = (t) => pad.left + plotW * (1 - Math.min(1, Math.max(0, (now - t) / WINDOW_MS)));
    const y = (v) => pad.top + plotH * (1 - v / top);
    context.strokeStyle = styles.color;
    context.fillStyle = styles.color;
    context.lineWidth = 2;
    context.beginPath();
    points.forEach((p, i) => (i === 0 ? context.moveTo(x(p.t), y(p.v)) : context.lineTo(x(p.t), y(p.v))));
    context.stroke();
    const lastPoint = points.at(-1);
    context.beginPath();
    context.arc(x(lastPoint.t), y(lastPoint.v), 3, 0, Math.PI * 2);
    context.fill();
}

/** The smallest of 1, 2 or 5 times a power of ten that is at least `value`. */
function niceCeiling(value) {
    const power = 10 ** Math.floor(Math.log10(value));
    return [1, 2, 5, 10].map((m) => m * power).find((n) => n >= value);
}

window.addEventListener('resize', drawCharts);

// ---- the rooms table --------------------------------------------------------------------------------------

function cell(row, name) {
    let td = row.querySelector(`[data-col="${name}"]`);
    if (!td) {
        td = document.createElement('td');
        td.dataset.col = name;
        row.append(td);
    }
    return td;
}

/**
 * Makes `body` hold one row per item, in order, keyed by `key(item)`: rows that stay are updated in place (so a
 * focused button keeps its focus), new ones are made with `create(item)`, rows of items that went are removed.
 */
function syncRows(body, items, key, create, update) {
    const existing = new Map([...body.rows].map((row) => [row.dataset.key, row]));
    let index = 0;
    for (const item of items) {
        const k = String(key(item));
        let row = existing.get(k);
        existing.delete(k);
        if (!row) {
            row = create(item);
            row.dataset.key = k;
        }
        if (body.rows[index] !== row) body.insertBefore(row, body.rows[index] ?? null);
        update(row, item);
        index += 1;
    }
    for (const row of existing.values()) row.remove();
}

function formatTime(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString(undefined, { hour12: false });
}

/** Takes each room's `messagesRelayed` at `t`; its rate is the change since the room's sample of the refresh before. */
function sampleRooms(rooms, t) {
    const next = new Map();
    for (const room of rooms) {
        if (typeof room.messagesRelayed !== 'number') continue;
        next.set(room.id, { t, relayed: room.messagesRelayed, rate: rateSince(roomSamples.get(room.id), t, room.messagesRelayed) });
    }
    roomSamples = next;
}

/** The relay rate of room `id` at its last sample, or null. */
function roomRate(id) {
    return roomSamples.get(id)?.rate ?? null;
}

function showRooms(list) {
    const items = Array.isArray(list.items) ? list.items : [];
    el.roomsCaption.textContent = list.total === 0 ? 'No rooms.'
        : items.length < list.total ? `The first ${items.length} of ${list.total} rooms, in creation order.`
            : `${list.total} room${list.total === 1 ? '' : 's'}, in creation order.`;
    syncRows(el.roomsBody, items, (room) => room.id, createRoomRow, updateRoomRow);
}

function createRoomRow(room) {
    const row = document.createElement('tr');
    row.dataset.roomId = room.id;
    const th = document.createElement('th');
    th.scope = 'row';
    th.dataset.col = 'id';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link';
    button.textContent = room.id;
    button.addEventListener('click', () => selectRoom(room.id));
    th.append(button);
    row.append(th);
    return row;
}

function updateRoomRow(row, room) {
    markCurrent(row.querySelector('button'), room.id === selectedId);
    cell(row, 'protocol').textContent = room.protocol;
    cell(row, 'clients').textContent = `${room.clientCount} / ${room.maxClients}`;
    showRate(cell(row, 'rate'), roomRate(room.id), '');
    cell(row, 'locked').textContent = room.locked ? 'locked' : 'no';
    cell(row, 'host').textContent = room.hostId == null ? 'none' : `#${room.hostId}`;
    cell(row, 'created').textContent = formatTime(room.createdAt);
}

/** The selected room's button says so to assistive technology. */
function markCurrent(button, current) {
    if (current) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
}

function clearData() {
    samples = [];
    roomSamples = new Map();
    for (const figure of [el.rooms, el.clients, el.rate, el.relayed, el.bytes, el.uptime]) {
        delete figure.dataset.value;
        figure.textContent = '–';
    }
    drawCharts();
    el.roomsBody.replaceChildren();
    el.roomsCaption.textContent = 'No rooms loaded.';
    closeRoomView();
}

// ---- the room view ----------------------------------------------------------------------------------------

function selectRoom(id) {
    selectedId = id;
    selected = null;
    hideConfirm();
    el.viewId.textContent = id;
    el.viewSummary.textContent = 'Loading…';
    showRelays(null);
    el.membersBody.replaceChildren();
    el.membersCaption.textContent = 'Members';
    el.lock.disabled = true;
    el.remove.disabled = true;
    el.view.hidden = false;
    for (const button of el.roomsBody.querySelectorAll('button')) markCurrent(button, button.textContent === id);
    el.viewHeading.focus();
    pollSoon(0);
}

function closeRoomView() {
    selectedId = null;
    selected = null;
    hideConfirm();
    el.view.hidden = true;
    el.viewId.textContent = '';
    el.viewSummary.textContent = '';
    showRelays(null);
    el.membersBody.replaceChildren();
    for (const button of el.roomsBody.querySelectorAll('button[aria-current]')) markCurrent(button, false);
}

function showRoom(room) {
    selected = room;
    const clients = Array.isArray(room.clients) ? room.clients : [];
    let metadata = JSON.stringify(room.metadata ?? {});
    if (metadata.length > MAX_METADATA_CHARS) metadata = `${metadata.slice(0, MAX_METADATA_CHARS)}…`;
    el.viewSummary.textContent = `${room.protocol} protocol, host assignment "${room.hostAssignment}", `
        + `${room.clientCount} of ${room.maxClients} clients, ${room.locked ? 'locked (refuses new clients)' : 'open'}, `
        + `resume window ${room.resumeWindowSeconds} s, created ${formatTime(room.createdAt)}. Metadata: ${metadata}`;
    showRelays(room);
    el.lock.textContent = room.locked ? 'Unlock room' : 'Lock room';
    el.lock.disabled = false;
    el.remove.disabled = false;
    el.membersCaption.textContent = clients.length === 0 ? 'No members.' : `${clients.length} member${clients.length === 1 ? '' : 's'}, in join order.`;
    syncRows(el.membersBody, clients, (c) => c.clientId, createMemberRow, updateMemberRow);
}

/** The room view's relay count and rate (from the room's last sample); '–' for none (`room` null). */
function showRelays(room) {
    if (room && typeof room.messagesRelayed === 'number') {
        showFigure(el.viewRelayed, room.messagesRelayed);
    } else {
        delete el.viewRelayed.dataset.value;
        el.viewRelayed.textContent = '–';
    }
    showRate(el.viewRate, room ? roomRate(room.id) : null, ' messages/s');
}

function who(member) {
    return member.name ? `#${member.clientId} ${member.name}` : `#${member.clientId}`;
}

function createMemberRow(member) {
    const row = document.createElement('tr');
    row.dataset.clientId = String(member.clientId);
    const th = document.createElement('th');
    th.scope = 'row';
    th.dataset.col = 'client';
    th.textContent = `#${member.clientId}`;
    row.append(th);
    for (const name of ['name', 'host', 'status', 'user', 'joined']) cell(row, name);
    const kick = document.createElement('button');
    kick.type = 'button';
    kick.className = 'small danger';
    kick.textContent = 'Kick';
    kick.addEventListener('click', () => kickMember(member.clientId, kick));
    cell(row, 'actions').append(kick);
    return row;
}

function updateMemberRow(row, member) {
    cell(row, 'name').textContent = member.name ?? '—';
    cell(row, 'host').textContent = member.isHost ? 'host' : '';
    cell(row, 'status').textContent = member.away ? 'away' : 'connected';
    cell(row, 'user').textContent = member.userId ?? '—';
    cell(row, 'joined').textContent = formatTime(member.connectedAt);
    row.querySelector('button').setAttribute('aria-label', `Kick ${who(member)}`);
}

/**
 * Runs a room action, `operation(client)`, after any poll in flight; reports it (`done`, or "Could not `what`") and
 * refreshes at once. True when it succeeded.
 */
async function act(what, done, operation) {
    let key = activeKey;
    try {
        await serialized(() => {
            key = activeKey;
            return operation(api(key));
        });
        report(done, 'ok');
        return true;
    } catch (error) {
        if (error instanceof RelayApiError && error.status === 401) {
            refused(error, key);
        } else {
            report(`Could not ${what}: ${describeError(error)}`, 'error');
        }
        return false;
    } finally {
        if (!blocked) pollSoon(0);
    }
}

function kickMember(clientId, button) {
    const roomId = selectedId;
    if (roomId === null) return;
    button.disabled = true;
    const member = selected?.clients?.find((c) => c.clientId === clientId);
    const name = member ? who(member) : `#${clientId}`;
    act(`kick ${name} from room ${roomId}`, `Kicked ${name} from room ${roomId}.`, (client) => client.kickClient(roomId, clientId))
        .finally(() => {
            button.disabled = false;
        });
}

el.lock.addEventListener('click', () => {
    const roomId = selectedId;
    if (roomId === null || !selected) return;
    const locked = !selected.locked;
    el.lock.disabled = true;
    const verb = locked ? 'lock' : 'unlock';
    act(`${verb} room ${roomId}`, `${locked ? 'Locked' : 'Unlocked'} room ${roomId}.`, async (client) => {
        const room = await client.updateRoom(roomId, { locked });
        if (selectedId === roomId) showRoom(room);
    }).finally(() => {
        el.lock.disabled = selected === null;
    });
});

function hideConfirm() {
    el.confirm.hidden = true;
    el.confirmText.textContent = '';
}

el.remove.addEventListener('click', () => {
    if (selectedId === null) return;
    const count = selected?.clientCount ?? 0;
    el.confirmText.textContent = `Delete room ${selectedId}? `
        + (count === 1 ? 'Its client gets room_closed and is disconnected. '
            : count > 1 ? `Its ${count} clients get room_closed and are disconnected. ` : '')
        + 'This cannot be undone.';
    el.confirm.hidden = false;
    el.confirmNo.focus();
});

el.confirmNo.addEventListener('click', () => {
    hideConfirm();
    el.remove.focus();
});

el.confirmYes.addEventListener('click', async () => {
    const roomId = selectedId;
    if (roomId === null) return;
    el.confirmYes.disabled = true;
    const done = await act(`delete room ${roomId}`, `Deleted room ${roomId}.`, async (client) => {
        await client.deleteRoom(roomId);
        if (selectedId === roomId) closeRoomView();
        el.roomsBody.querySelector(`tr[data-room-id="${CSS.escape(roomId)}"]`)?.remove();
    });
    el.confirmYes.disabled = false;
    if (done) el.roomsHeading.focus();
});

el.closeView.addEventListener('click', () => {
    const id = selectedId;
    closeRoomView();
    const button = [...el.roomsBody.querySelectorAll('button')].find((b) => b.textContent === id);
    (button ?? el.roomsHeading).focus();
});

// ---- messages ---------------------------------------------------------------------------------------------

/** How polling goes (live, paused, failing): not a live region, as it changes every refresh. */
function setStatus(text, kind) {
    showStatus(el.pollStatus, text, kind);
}

/** What an action did, or why it failed: announced. */
function report(text, kind) {
    showStatus(el.actionStatus, text, kind);
}

function showStatus(element, text, kind) {
    element.textContent = text;
    element.classList.toggle('error', kind === 'error');
    element.classList.toggle('ok', kind === 'ok');
}

function describeError(error) {
    if (error instanceof RelayApiError) return error.message;
    if (error?.name === 'TimeoutError') return `the server did not answer within ${REQUEST_TIMEOUT_MS / 1000} s.`;
    if (error instanceof TypeError) return `the server could not be reached (${error.message}).`;
    return String(error?.message ?? error);
}

// ---- start ------------------------------------------------------------------------------------------------

el.key.value = activeKey;
drawCharts();
pollSoon(0);
