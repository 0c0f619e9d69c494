// Relay playground: create a room through the REST API and drive several clients in panes.
// Built only on the browser client (/client/relay.js). Secrets live in form fields and in memory only:
// this script never stores them, never puts them in an address and never writes them to a log or console.
import { RelayApi, RelayApiError, RelayClient, RelayRealtimeError } from '/client/relay.js';

const MAX_LOG_ENTRIES = 300;
const MAX_SHOWN_CHARS = 2000;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

const byId = (id) => document.getElementById(id);

/** Server messages that change who is in the room (and so the presence list). */
const MEMBERSHIP = new Set([
    'connected', 'resumed', 'client_joined', 'client_left', 'client_away', 'client_back', 'host_changed', 'left', 'kicked', 'room_closed',
]);

/** The room created last in this page (in memory only). */
let currentRoom = null;
let paneSeq = 0;
const panes = new Set();

// ---- shared helpers ---------------------------------------------------------------------------------------

/** A Show/Hide button for a password input; aria-pressed tells whether the value is shown. */
function wireToggle(button, input) {
    button.addEventListener('click', () => {
        const show = input.type === 'password';
        input.type = show ? 'text' : 'password';
        button.setAttribute('aria-pressed', String(show));
        button.textContent = show ? 'Hide' : 'Show';
    });
}

function setStatus(element, text, kind) {
    element.textContent = text;
    element.classList.toggle('error', kind === 'error');
    element.classList.toggle('ok', kind === 'ok');
}

function describeError(error) {
    if (error instanceof RelayApiError) {
        if (error.status === 401) {
            return 'This server requires an API key: enter one in "API key" and try again.';
        }
        return error.message;
    }
    if (error instanceof RelayRealtimeError) return `${error.code}: ${error.message}`;
    if (error instanceof TypeError && !error.message.startsWith('relay.js:')) {
        return `The server could not be reached (${error.message}).`;
    }
    return String(error?.message ?? error);
}

function shorten(text) {
    return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}… (${text.length} characters)` : text;
}

function showJson(value) {
    let text;
    try {
        text = JSON.stringify(value);
    } catch {
        text = String(value);
    }
    return shorten(text ?? 'undefined');
}

function showBytes(bytes) {
    const hex = Array.from(bytes.subarray(0, 32), (b) => b.toString(16).padStart(2, '0')).join(' ');
    const more = bytes.length > 32 ? ' …' : '';
    return `${bytes.length} bytes [${hex}${more}] "${shorten(decoder.decode(bytes))}"`;
}

/** Text typed in a message box: JSON when it parses, otherwise the text as a JSON string. */
function parseData(text) {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        return;
    }
    // Plain-http pages on another host are not secure contexts: fall back to a short-lived hidden field.
    const field = document.createElement('textarea');
    field.value = text;
    field.setAttribute('readonly', '');
    field.className = 'skip-link';
    document.body.append(field);
    field.select();
    const copied = document.execCommand('copy');
    field.remove();
    if (!copied) throw new Error('the clipboard is not available here; show the secret and copy it by hand');
}

/** Reads `{"roomId","secret"}` (or a create answer `{"id","secret"}`, or `hostSecret`) from pasted text. */
function parseJoinDetails(text) {
    const value = parseData(text.trim());
    if (!value || typeof value !== 'object') return null;
    const roomId = typeof value.roomId === 'string' ? value.roomId : value.id;
    const secret = typeof value.secret === 'string' ? value.secret : value.hostSecret;
    return typeof roomId === 'string' && roomId && typeof secret === 'string' && secret ? { roomId, secret } : null;
}

// ---- room creation ----------------------------------------------------------------------------------------

const createForm = byId('create-form');
const createStatus = byId('create-status');
const apiKeyInput = byId('create-api-key');

for (const button of document.querySelectorAll('[data-toggle-for]')) {
    wireToggle(button, byId(button.dataset.toggleFor));
}

function api() {
    return new RelayApi({ apiKey: apiKeyInput.value.trim() || undefined });
}

createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const options = {
        protocol: byId('create-protocol').value,
        hostAssignment: byId('create-host-assignment').value,
    };
    const maxClients = byId('create-max-clients').value.trim();
    if (maxClients) options.maxClients = Number(maxClients);
    const metadata = byId('create-metadata').value.trim();
    if (metadata) {
        try {
            options.metadata = JSON.parse(metadata);
        } catch {
            setStatus(createStatus, 'Metadata must be a JSON object, e.g. {"game":"chess"}.', 'error');
            byId('create-metadata').focus();
            return;
        }
    }
    const button = byId('create-room');
    button.disabled = true;
    setStatus(createStatus, 'Creating a room…');
    try {
        const room = await api().createRoom(options);
        showRoom(room);
        const filled = fillPanes();
        setStatus(createStatus, `Room ${room.id} created.`
            + (filled ? ` Its details are in ${filled} client pane${filled === 1 ? '' : 's'}: press Connect.` : ''), 'ok');
    } catch (error) {
        setStatus(createStatus, `Could not create the room: ${describeError(error)}`, 'error');
        if (error instanceof RelayApiError && error.status === 401) apiKeyInput.focus();
    } finally {
        button.disabled = false;
    }
});

function showRoom(room) {
    currentRoom = { id: room.id, secret: room.secret, hostSecret: room.hostSecret };
    byId('room-id-value').textContent = room.id;
    byId('room-summary').textContent = `${room.protocol} protocol, host assignment "${room.hostAssignment}", `
        + `up to ${room.maxClients} clients.`;
    byId('room-secret').value = room.secret;
    byId('room-host-secret').value = room.hostSecret;
    byId('room-details').hidden = false;
}

/** The current room is gone: its details leave the page, and so do its join details in panes that are not connected. */
function forgetRoom() {
    const id = currentRoom.id;
    currentRoom = null;
    byId('room-details').hidden = true;
    byId('room-id-value').textContent = '';
    byId('room-summary').textContent = '';
    byId('room-secret').value = '';
    byId('room-host-secret').value = '';
    for (const pane of panes) {
        if (!pane.busy && pane.el.roomId.value.trim() === id) pane.fill('', '');
    }
}

/** Puts the current room into panes that are not connected; returns how many. */
function fillPanes() {
    if (!currentRoom) return 0;
    let count = 0;
    for (const pane of panes) {
        if (!pane.busy) {
            pane.fill(currentRoom.id, currentRoom.secret);
            count += 1;
        }
    }
    return count;
}

async function copyJoin(secret, what) {
    if (!currentRoom) return;
    try {
        await copyText(JSON.stringify({ roomId: currentRoom.id, secret }));
        setStatus(createStatus, `${what} copied to the clipboard: paste them into "Paste join details" of a pane here or in another tab.`, 'ok');
    } catch (error) {
        setStatus(createStatus, `Could not copy: ${describeError(error)}`, 'error');
    }
}

byId('copy-join').addEventListener('click', () => copyJoin(currentRoom?.secret, 'Join details'));
byId('copy-host-join').addEventListener('click', () => copyJoin(currentRoom?.hostSecret, 'Host join details'));
byId('fill-panes').addEventListener('click', () => {
    const count = fillPanes();
    setStatus(createStatus, count ? `Filled ${count} pane${count === 1 ? '' : 's'} that ${count === 1 ? 'is' : 'are'} not connected.`
        : 'Every pane is connected; add a pane first.', count ? 'ok' : undefined);
});
byId('delete-room').addEventListener('click', async () => {
    if (!currentRoom) return;
    const id = currentRoom.id;
    try {
        await api().deleteRoom(id);
        forgetRoom();
        setStatus(createStatus, `Room ${id} deleted.`, 'ok');
        byId('create-room').focus();
    } catch (error) {
        setStatus(createStatus, `Could not delete the room: ${describeError(error)}`, 'error');
    }
});

// ---- client panes -----------------------------------------------------------------------------------------

function paneLabel(n) {
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    return n <= letters.length ? letters[n - 1] : String(n);
}

class Pane {
    /** @type {RelayClient|null} */
    client = null;
    names = new Map();
    selected = new Set();

    constructor() {
        paneSeq += 1;
        this.label = paneLabel(paneSeq);
        const fragment = byId('pane-template').content.cloneNode(true);
        this.root = fragment.querySelector('[data-pane]');
        const q = (name) => this.root.querySelector(`[data-${name}]`);
        this.el = {
            title: q('title'), badge: q('badge'), remove: q('remove'), joinForm: q('join-form'), paste: q('paste'),
            roomId: q('room-id'), secret: q('secret'), toggle: q('toggle'), token: q('token'), tokenToggle: q('token-toggle'),
            name: q('name'), reconnect: q('reconnect'),
            connect: q('connect'), leave: q('leave'), disconnect: q('disconnect'), drop: q('drop'), presence: q('presence'),
            presenceEmpty: q('presence-empty'), composeForm: q('compose-form'), compose: q('compose-fieldset'),
            message: q('message'), binary: q('binary'), sendSelected: q('send-selected'), ping: q('ping'),
            closeRoom: q('close-room'), clear: q('clear'), log: q('log'),
        };
        const titleId = `pane-${paneSeq}-title`;
        this.el.title.id = titleId;
        this.el.title.textContent = `Client ${this.label}`;
        this.root.setAttribute('aria-labelledby', titleId);
        this.el.remove.setAttribute('aria-label', `Remove client ${this.label}`);
        this.el.name.value = this.label;
        wireToggle(this.el.toggle, this.el.secret);
        wireToggle(this.el.tokenToggle, this.el.token);
        this.wire();
        this.render();
    }

    get busy() {
        const state = this.client?.state;
        return state === 'connecting' || state === 'connected' || state === 'reconnecting';
    }

    fill(roomId, secret) {
        this.el.roomId.value = roomId;
        this.el.secret.value = secret;
    }

    wire() {
        const el = this.el;
        el.remove.addEventListener('click', () => removePane(this));
        el.paste.addEventListener('input', () => {
            const text = el.paste.value;
            if (!text.trim()) return;
            const details = parseJoinDetails(text);
            if (details) {
                this.fill(details.roomId, details.secret);
                el.paste.value = '';
                this.log(`Join details filled in for room ${details.roomId}.`);
            } else if (text.trim().endsWith('}')) {
                this.log('The pasted text is not join details (expected JSON with "roomId" and "secret").', 'err');
            }
        });
        el.joinForm.addEventListener('submit', (event) => {
            event.preventDefault();
            this.connect();
        });
        el.leave.addEventListener('click', () => this.leave());
        el.disconnect.addEventListener('click', () => this.disconnect());
        el.drop.addEventListener('click', () => this.drop());
        el.composeForm.addEventListener('submit', (event) => {
            event.preventDefault();
            this.broadcast();
        });
        el.message.addEventListener('keydown', (event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
                event.preventDefault();
                this.broadcast();
            }
        });
        el.sendSelected.addEventListener('click', () => this.sendSelected());
        el.ping.addEventListener('click', () => this.ping());
        el.closeRoom.addEventListener('click', () => this.act('→ close the room', (c) => c.closeRoom()));
        el.clear.addEventListener('click', () => el.log.replaceChildren());
    }

    who(id) {
        if (id === 0) return 'server';
        const name = this.names.get(id);
        return name ? `#${id} ${name}` : `#${id}`;
    }

    log(text, kind) {
        const log = this.el.log;
        const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
        const item = document.createElement('li');
        if (kind) item.className = kind;
        const time = document.createElement('span');
        time.className = 'time';
        time.textContent = new Date().toLocaleTimeString(undefined, { hour12: false });
        item.append(time, document.createTextNode(text));
        log.append(item);
        while (log.childElementCount > MAX_LOG_ENTRIES) log.firstElementChild.remove();
        if (atBottom) log.scrollTop = log.scrollHeight;
    }

    async connect() {
        const el = this.el;
        const roomId = el.roomId.value.trim();
        const secret = el.secret.value.trim();
        const token = el.token.value.trim();
        const name = el.name.value.trim();
        if (!token && (!roomId || !secret)) {
            this.log('Enter a room id and a secret (or paste join details), or a token, first.', 'err');
            (roomId ? el.secret : el.roomId).focus();
            return;
        }
        if (!this.client || this.client.state === 'closed') {
            // droppable: the socket lives in a hidden frame, so that "Drop connection" can cut it as a lost network would.
            this.client = new RelayClient({
                reconnect: el.reconnect.checked ? { initialDelayMs: 500, maxDelayMs: 5000 } : false,
                droppable: true,
            });
            this.listen(this.client);
        }
        // A token names its room (and may name the client): the room id and secret fields are not sent with it.
        this.log(`→ connect ${token ? 'with a token' : `to room ${roomId}`}${name ? ` as "${name}"` : ''}`, 'out');
        try {
            await this.client.connect(token ? { token, name: name || undefined } : { roomId, secret, name: name || undefined });
        } catch (error) {
            this.log(`Could not join: ${describeError(error)}`, 'err');
        }
        this.render();
    }

    async leave() {
        if (!this.client) return;
        this.log('→ leave', 'out');
        try {
            await this.client.leave();
        } catch (error) {
            this.log(`Could not leave: ${describeError(error)}`, 'err');
        }
    }

    async disconnect() {
        if (!this.client) return;
        this.log('→ disconnect', 'out');
        await this.client.close(1000, 'bye');
    }

    /** Cuts the connection without a goodbye: the others see this client away, and it resumes when Reconnect is on. */
    drop() {
        if (!this.client) return;
        this.log('→ drop connection', 'out');
        try {
            this.client.drop();
        } catch (error) {
            this.log(`Could not drop: ${describeError(error)}`, 'err');
        }
    }

    /** Runs a client operation, logging what was sent and any local failure. */
    act(description, operation) {
        if (!this.client) return;
        try {
            operation(this.client);
            this.log(description, 'out');
        } catch (error) {
            this.log(`${description} failed: ${describeError(error)}`, 'err');
        }
    }

    /** The message box as `{bytes}` (binary ticked) or `{data}`, with `shown`, how the log shows it. */
    outgoing() {
        const text = this.el.message.value;
        if (this.el.binary.checked) {
            const bytes = encoder.encode(text);
            return { bytes, shown: `binary ${showBytes(bytes)}` };
        }
        const data = parseData(text);
        return { data, shown: showJson(data) };
    }

    broadcast() {
        const { bytes, data, shown } = this.outgoing();
        this.act(`→ broadcast ${shown}`, (c) => (bytes ? c.broadcastBinary(bytes) : c.broadcast(data)));
    }

    sendSelected() {
        // Only people in the list can be ticked, and `client_left` and `connected` untick them.
        const ids = [...this.selected];
        if (ids.length === 0) {
            this.log('Tick at least one person in "People in the room" to send to.', 'err');
            return;
        }
        const targets = ids.map((id) => this.who(id)).join(', ');
        const { bytes, data, shown } = this.outgoing();
        this.act(`→ to ${targets}: ${shown}`, (c) => (bytes ? ids.forEach((id) => c.sendBinary(id, bytes)) : c.send(ids, data)));
    }

    async ping() {
        if (!this.client) return;
        try {
            const rtt = await this.client.ping();
            this.log(`Pong: round trip ${rtt.toFixed(1)} ms`);
        } catch (error) {
            this.log(`Ping failed: ${describeError(error)}`, 'err');
        }
    }

    listen(client) {
        client.on('servermessage', (message) => this.onServerMessage(message));
        client.on('binary', ({ from, data }) => this.log(`${this.who(from)} (binary): ${showBytes(data)}`));
        client.on('reconnecting', ({ attempt, delayMs }) => this.log(`Reconnecting in ${delayMs} ms (attempt ${attempt})…`));
        client.on('reconnected', ({ attempts, resumed }) => this.log(
            `${resumed ? 'Resumed the seat' : 'Reconnected'} after ${attempts} attempt${attempts === 1 ? '' : 's'}.`));
        client.on('resumefailed', ({ reason }) => this.log(`Could not resume the seat (${reason}); joining afresh.`, 'err'));
        client.on('close', ({ code, reason, willReconnect }) => {
            this.log(`Connection closed: ${code}${reason ? ` ${reason}` : ''}${willReconnect ? ', will reconnect' : ''}`,
                willReconnect || code === 1000 ? undefined : 'err');
            this.render();
        });
        client.on('statechange', () => this.render());
    }

    onServerMessage(m) {
        switch (m.type) {
            case 'connected':
                this.names = new Map(m.clients.map((c) => [c.clientId, c.name]));
                this.selected.clear();
                this.log(`Joined room ${m.roomId} as ${this.who(m.clientId)}${m.isHost ? ' (host)' : ''}; `
                    + `${m.clients.length} in the room, ${m.protocol} protocol.`);
                break;
            case 'client_joined':
                this.names.set(m.clientId, m.name);
                this.log(`${this.who(m.clientId)} joined`);
                break;
            case 'resumed':
                this.log(`Resumed room ${m.roomId} as ${this.who(m.clientId)}; ${m.missed} missed event${m.missed === 1 ? '' : 's'} follow.`);
                break;
            case 'client_left':
                this.selected.delete(m.clientId);
                this.log(`${this.who(m.clientId)} left (${m.reason})`);
                break;
            case 'client_away':
                this.log(`${this.who(m.clientId)} is away (connection lost; the seat is kept)`);
                break;
            case 'client_back':
                this.log(`${this.who(m.clientId)} is back`);
                break;
            case 'host_changed':
                this.log(m.hostId === null ? 'The room has no host now' : `Host is now ${this.who(m.hostId)}`
                    + (m.hostId === this.client?.clientId ? ' (you)' : ''));
                break;
            case 'message':
                this.log(`${this.who(m.from)}: ${showJson(m.data)}`);
                break;
            case 'kicked':
                this.log(`You were kicked: ${m.reason}`, 'err');
                break;
            case 'room_closed':
                this.log(`The room closed: ${m.reason}${m.message ? ` (${m.message})` : ''}`, 'err');
                break;
            case 'left':
                this.log('Left the room; the connection stays open for a while.');
                break;
            case 'error':
                // Answers to this page's own connect, leave and ping requests are reported where they are awaited.
                if (!String(m.ref ?? '').startsWith('rjs-')) this.log(`Error ${m.code}: ${m.message}`, 'err');
                break;
            default:
                break;
        }
        if (MEMBERSHIP.has(m.type)) this.render();
    }

    render() {
        const el = this.el;
        const client = this.client;
        const state = client?.state ?? 'idle';
        const inRoom = state === 'connected';
        let badge;
        switch (state) {
            case 'connecting': badge = 'Connecting…'; break;
            case 'connected': badge = `Connected as #${client.clientId}${client.isHost ? ' (host)' : ''}`; break;
            case 'left': badge = 'Left the room'; break;
            case 'reconnecting': badge = 'Reconnecting…'; break;
            case 'closed': badge = `Closed (${client.closeCode})`; break;
            default: badge = 'Not connected';
        }
        el.badge.textContent = badge;
        el.badge.classList.toggle('on', inRoom);
        el.connect.disabled = this.busy;
        el.leave.disabled = !inRoom;
        el.disconnect.disabled = !(this.busy || state === 'left');
        el.drop.disabled = !inRoom;
        el.compose.disabled = !inRoom;
        el.closeRoom.hidden = !(inRoom && client.isHost);
        this.renderPresence(inRoom ? client : null);
    }

    renderPresence(client) {
        const list = this.el.presence;
        const clients = client ? client.clients : [];
        this.el.presenceEmpty.hidden = clients.length > 0;
        const items = clients.map((c) => {
            this.names.set(c.clientId, c.name);
            const who = this.who(c.clientId);
            const self = c.clientId === client.clientId;
            const text = `${who}${c.userId ? ` [user ${c.userId}]` : ''}${c.isHost ? ' (host)' : ''}${c.away ? ' (away)' : ''}${self ? ' (you)' : ''}`;
            const item = document.createElement('li');
            if (self) {
                const span = document.createElement('span');
                span.className = 'who';
                span.textContent = text;
                item.append(span);
                return item;
            }
            const label = document.createElement('label');
            label.className = 'check who';
            const box = document.createElement('input');
            box.type = 'checkbox';
            box.dataset.key = `select-${c.clientId}`;
            box.checked = this.selected.has(c.clientId);
            box.addEventListener('change', () => {
                if (box.checked) this.selected.add(c.clientId);
                else this.selected.delete(c.clientId);
            });
            label.append(box, document.createTextNode(` ${text}`));
            item.append(label);
            if (client.isHost) {
                item.append(
                    smallButton('Kick', `Kick ${who}`, `kick-${c.clientId}`,
                        () => this.act(`→ kick ${who}`, (r) => r.kick(c.clientId))),
                    smallButton('Make host', `Make ${who} host`, `host-${c.clientId}`,
                        () => this.act(`→ make ${who} host`, (r) => r.transferHost(c.clientId))));
            }
            return item;
        });
        // Keep focus when the list is rebuilt under it.
        const focused = list.contains(document.activeElement) ? document.activeElement.dataset.key : undefined;
        list.replaceChildren(...items);
        if (focused) list.querySelector(`[data-key="${focused}"]`)?.focus();
    }
}

/** A small button of a presence entry; `key` finds it again when the list is rebuilt. */
function smallButton(text, label, key, onClick) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'small';
    button.textContent = text;
    button.setAttribute('aria-label', label);
    button.dataset.key = key;
    button.addEventListener('click', onClick);
    return button;
}

function addPane(focus) {
    const pane = new Pane();
    panes.add(pane);
    byId('panes').append(pane.root);
    if (currentRoom) pane.fill(currentRoom.id, currentRoom.secret);
    if (focus) pane.el.paste.focus();
    return pane;
}

function removePane(pane) {
    pane.client?.close(1000, 'pane removed');
    panes.delete(pane);
    pane.root.remove();
    byId('add-pane').focus();
}

byId('add-pane').addEventListener('click', () => addPane(true));

// The skip link moves focus without touching the address bar.
document.querySelector('.skip-link').addEventListener('click', (event) => {
    event.preventDefault();
    byId('clients-heading').focus();
});

addPane(false);
addPane(false);
