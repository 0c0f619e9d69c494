// Relay browser client: a dependency-free ES module served by every Relay server at /client/relay.js, and the
// npm package @relay-server/client (this folder, clients/js; types in relay.d.ts). This file is the one source of
// both: the server embeds it at build time.
// Reference: docs/clients.md (Browser section) and docs/protocol.md (wire protocol, version 1).
//
//   import { RelayApi, RelayClient } from '/client/relay.js';
//   const room = await new RelayApi().createRoom({ maxClients: 4 });
//   const client = new RelayClient({ reconnect: true });
//   client.on('message', ({ from, data }) => show(from, data));
//   await client.connect({ roomId: room.id, secret: room.secret, name: 'alice' });
//   client.broadcast({ text: 'hi' });
//   // or, with a client token minted by the backend (no room secret in the page):
//   await new RelayClient().connect({ token });

/** Version of the Relay wire protocol this module speaks. */
export const PROTOCOL_VERSION = 1;

/** Path of the WebSocket endpoint on a Relay server. */
export const WEBSOCKET_PATH = '/v1/websocket';

/** Path prefix of the REST API on a Relay server. */
export const API_PATH = '/v1/api';

/**
 * A room as the REST API describes it. `secret` and `hostSecret` are present only in the answer to
 * {@link RelayApi#createRoom}; `clients` only in single-room reads.
 * @typedef {object} Room
 * @property {string} id
 * @property {string} [secret] join secret (create answer only)
 * @property {string} [hostSecret] host secret (create answer only)
 * @property {'mesh'|'host'} protocol
 * @property {'first'|'secret'} hostAssignment
 * @property {number} maxClients
 * @property {boolean} locked
 * @property {object} metadata
 * @property {string} createdAt RFC 3339 UTC
 * @property {number|null} hostId
 * @property {number} clientCount
 * @property {number} messagesRelayed relay messages accepted in the room, each counted once (in a cluster other nodes' arrive with their heartbeat)
 * @property {Array<{clientId: number, name: string|null, isHost: boolean, connectedAt: string, userId?: string}>} [clients]
 */

/**
 * Options of {@link RelayApi#createRoom}; every field is optional.
 * @typedef {object} CreateRoomOptions
 * @property {string} [id] 1-64 characters of [A-Za-z0-9_-]; generated when absent (409 if taken)
 * @property {string} [secret] 8-256 characters; generated when absent
 * @property {'mesh'|'host'} [protocol] default `mesh`
 * @property {'first'|'secret'} [hostAssignment] default `first`
 * @property {number} [maxClients] default set by the server (16)
 * @property {object|null} [metadata] a JSON object shown to clients in `connected`
 */

/**
 * A client as seen by the realtime protocol.
 * @typedef {object} ClientInfo
 * @property {number} clientId
 * @property {string|null} name
 * @property {string} [userId] the user id (`sub`) of the client token it joined with; absent otherwise
 * @property {boolean} isHost
 * @property {true} [away] present while the client is away: its connection dropped and it may resume its seat
 */

/**
 * What {@link RelayClient#connect} needs to join a room: the room's id and secret (or host secret), or a client
 * token minted by the backend (a JWT naming the room; sent as `token`, without `roomId` and `secret`).
 * @typedef {{roomId: string, secret: string, name?: string} | {token: string, name?: string}} JoinDetails
 */

/**
 * How a connection ended.
 * @typedef {object} CloseInfo
 * @property {number} code WebSocket close code (4000 room closed, 4001 kicked, 1000 normal, 1006 dropped, ...)
 * @property {string} reason close reason text, informative only
 * @property {boolean} wasClean whether the closing handshake completed
 * @property {boolean} willReconnect whether the client is about to reconnect
 */

/**
 * Reconnection settings. The client reconnects only after an abnormal loss: a close without a closing handshake,
 * or with code 1006, 1011-1014 or 4004 (slow consumer). Never after `kicked` (4001), `room_closed` (4000, or
 * 1001 at shutdown), {@link RelayClient#close} or {@link RelayClient#leave}, close codes 1000, 1008, 1009 or 4002,
 * nor before the first successful join. An attempt refused with `room_not_found`, `invalid_secret`,
 * `invalid_token` (e.g. a token that expired since) or `bad_request` ends reconnection; other failures are retried.
 * @typedef {object} ReconnectOptions
 * @property {number} [initialDelayMs=500] delay before the first attempt
 * @property {number} [maxDelayMs=30000] largest delay between attempts
 * @property {number} [factor=2] growth of the delay per attempt
 * @property {number} [jitter=0.5] a delay `d` becomes a random value in `[d × (1 - jitter), d]`
 * @property {number} [maxAttempts=10] attempts per loss (`Infinity` for no limit)
 */

/**
 * An error answer of the REST API: an RFC 9457 problem details document, or any other non-2xx answer.
 */
export class RelayApiError extends Error {
    /**
     * @param {number} status HTTP status
     * @param {object|null} problem the problem details document, when the answer was one
     * @param {string} [fallbackTitle] title to use when the answer had none (e.g. the status text)
     */
    constructor(status, problem, fallbackTitle) {
        const problemDocument = problem && typeof problem === 'object' ? problem : null;
        const body = problemDocument ?? {};
        const title = typeof body.title === 'string' ? body.title : (fallbackTitle || `HTTP ${status}`);
        const detail = typeof body.detail === 'string' ? body.detail : undefined;
        const errors = body.errors && typeof body.errors === 'object' ? body.errors : undefined;
        let message = `${status} ${title}`;
        if (detail) message += `: ${detail}`;
        if (errors) {
            const fields = Object.entries(errors)
                .map(([field, messages]) => `${field || '(body)'}: ${[].concat(messages).join(', ')}`);
            if (fields.length) message += ` (${fields.join('; ')})`;
        }
        super(message);
        this.name = 'RelayApiError';
        /** @type {number} HTTP status of the answer */
        this.status = status;
        /** @type {string} problem `title`, or the HTTP status text */
        this.title = title;
        /** @type {string|undefined} problem `detail` */
        this.detail = detail;
        /** @type {Record<string, string[]>|undefined} validation errors: field name to messages (`""` is the body) */
        this.errors = errors;
        /** @type {string|undefined} problem `type` URI */
        this.type = typeof body.type === 'string' ? body.type : undefined;
        /** @type {string|undefined} problem `traceId`, for the server's logs */
        this.traceId = typeof body.traceId === 'string' ? body.traceId : undefined;
        /** @type {object|null} the whole problem document, when there was one */
        this.problem = problemDocument;
    }
}

/**
 * A realtime failure: an `error` message from the server answering one of this client's requests
 * (`code` is the protocol's error code, e.g. `invalid_secret`), or a local one: `connection_closed`,
 * `timeout`, `not_open`, `already_connected`, `client_closed`.
 */
export class RelayRealtimeError extends Error {
    /**
     * @param {string} code
     * @param {string} message
     * @param {{ref?: string|number, close?: CloseInfo}} [extra]
     */
    constructor(code, message, extra = {}) {
        super(message);
        this.name = 'RelayRealtimeError';
        /** @type {string} protocol error code or local failure code */
        this.code = code;
        /** @type {string|number|undefined} the `ref` of the request it answers */
        this.ref = extra.ref;
        /** @type {CloseInfo|undefined} for `connection_closed`: how the connection ended */
        this.close = extra.close;
    }
}

function defaultBase() {
    const location = globalThis.location;
    if (!location || !/^https?:$/.test(location.protocol)) {
        throw new TypeError('relay.js: pass baseUrl (or url): there is no http(s) page location to default to');
    }
    return location.origin;
}

/**
 * The WebSocket URL of a Relay server: `ws://host/v1/websocket` for `http://host`, `wss://` for `https://`.
 * @param {string} [baseUrl] the server's http(s) address (a path prefix is kept); default: the page's own origin
 * @returns {string}
 */
export function webSocketUrl(baseUrl) {
    const url = under(baseUrl ?? defaultBase(), WEBSOCKET_PATH);
    if (url.protocol === 'https:') url.protocol = 'wss:';
    else if (url.protocol === 'http:') url.protocol = 'ws:';
    return url.href;
}

/** `path` below the base address, keeping the base's own path prefix (a server behind a proxy under `/relay`). */
function under(base, path) {
    const url = new URL(base);
    url.pathname = url.pathname.replace(/\/+$/, '') + path;
    url.search = '';
    url.hash = '';
    return url;
}

/**
 * REST client for Relay's backend API (`/v1/api`). Every method returns a promise that rejects with a
 * {@link RelayApiError} for an error answer (and with the fetch `TypeError` when the server cannot be reached).
 *
 * The API key is sent as `X-Api-Key` when given. Think twice before giving an API key to code in a browser:
 * anyone holding it can manage every room. The playground does so only with a key its user types in.
 */
export class RelayApi {
    #baseUrl;
    #apiKey;
    #fetch;

    /**
     * @param {object} [options]
     * @param {string} [options.baseUrl] the server's http(s) address (a path prefix is kept); default: the page's own origin
     * @param {string} [options.apiKey] one of the server's `Relay:ApiKeys`, when it has any
     * @param {typeof fetch} [options.fetch] fetch implementation (default: the global one)
     */
    constructor(options = {}) {
        this.#baseUrl = new URL(options.baseUrl ?? defaultBase());
        this.#apiKey = options.apiKey || undefined;
        const f = options.fetch ?? globalThis.fetch;
        if (typeof f !== 'function') throw new TypeError('relay.js: no fetch implementation');
        this.#fetch = (...args) => f(...args);
    }

    /** The server address requests go to. @returns {string} */
    get baseUrl() {
        return this.#baseUrl.href;
    }

    /**
     * `POST /v1/api/rooms`: creates a room. The answer is the only place its `secret` and `hostSecret` appear.
     * @param {CreateRoomOptions} [options]
     * @returns {Promise<Room>}
     */
    createRoom(options = {}) {
        return this.#request('POST', '/rooms', options);
    }

    /**
     * `GET /v1/api/rooms`: one page of rooms, in creation order, without `clients`.
     * @param {{offset?: number, limit?: number}} [page] `limit` 1-500, default 50
     * @returns {Promise<{items: Room[], total: number, offset: number, limit: number}>}
     */
    listRooms(page = {}) {
        const query = new URLSearchParams();
        if (page.offset !== undefined) query.set('offset', String(page.offset));
        if (page.limit !== undefined) query.set('limit', String(page.limit));
        return this.#request('GET', '/rooms', undefined, query);
    }

    /**
     * `GET /v1/api/rooms/{id}`: a room with its `clients`.
     * @param {string} roomId
     * @returns {Promise<Room>}
     */
    getRoom(roomId) {
        return this.#request('GET', `/rooms/${encodeId(roomId)}`);
    }

    /**
     * `PATCH /v1/api/rooms/{id}`: changes `maxClients`, `locked` or `metadata`.
     * @param {string} roomId
     * @param {{maxClients?: number, locked?: boolean, metadata?: object}} changes
     * @returns {Promise<Room>}
     */
    updateRoom(roomId, changes) {
        return this.#request('PATCH', `/rooms/${encodeId(roomId)}`, changes ?? {});
    }

    /**
     * `DELETE /v1/api/rooms/{id}`: deletes a room; its clients get `room_closed` (`deleted`) and close 4000.
     * @param {string} roomId
     * @returns {Promise<void>}
     */
    deleteRoom(roomId) {
        return this.#request('DELETE', `/rooms/${encodeId(roomId)}`);
    }

    /**
     * `POST /v1/api/rooms/{id}/messages`: pushes a message from the server (client id 0).
     * @param {string} roomId
     * @param {*} data any JSON value
     * @param {{to?: number[]}} [options] recipients; default every client of the room
     * @returns {Promise<{recipients: number}>}
     */
    pushMessage(roomId, data, options = {}) {
        if (data === undefined) throw new TypeError('relay.js: pushMessage needs data (any JSON value)');
        const body = options.to === undefined ? { data } : { data, to: options.to };
        return this.#request('POST', `/rooms/${encodeId(roomId)}/messages`, body);
    }

    /**
     * `DELETE /v1/api/rooms/{id}/clients/{clientId}`: kicks a client (it gets `kicked` and close 4001).
     * @param {string} roomId
     * @param {number} clientId
     * @returns {Promise<void>}
     */
    kickClient(roomId, clientId) {
        return this.#request('DELETE', `/rooms/${encodeId(roomId)}/clients/${encodeURIComponent(String(clientId))}`);
    }

    /**
     * `GET /v1/api/summary`: totals over all rooms.
     * @returns {Promise<{rooms: number, clients: number, roomsByProtocol: Record<string, number>,
     *   messagesRelayed: number, bytesRelayed: number, uptimeSeconds: number}>}
     */
    getSummary() {
        return this.#request('GET', '/summary');
    }

    async #request(method, path, body, query) {
        const headers = { Accept: 'application/json, application/problem+json' };
        if (this.#apiKey) headers['X-Api-Key'] = this.#apiKey;
        const init = { method, headers, cache: 'no-store', referrerPolicy: 'no-referrer' };
        if (body !== undefined) {
            headers['Content-Type'] = 'application/json';
            init.body = JSON.stringify(body);
        }
        const url = under(this.#baseUrl, API_PATH + path);
        if (query) url.search = query.toString();
        const response = await this.#fetch(url.href, init);
        const text = await response.text();
        if (!response.ok) {
            let problem = null;
            try {
                problem = text ? JSON.parse(text) : null;
            } catch {
                problem = null;
            }
            throw new RelayApiError(response.status, problem, response.statusText);
        }
        return text ? JSON.parse(text) : undefined;
    }
}

function encodeId(roomId) {
    if (typeof roomId !== 'string' || roomId === '') throw new TypeError('relay.js: a room id is a non-empty string');
    return encodeURIComponent(roomId);
}

const DEFAULT_RECONNECT = Object.freeze({
    initialDelayMs: 500, maxDelayMs: 30000, factor: 2, jitter: 0.5, maxAttempts: 10,
});

/** Close codes of an abnormal loss, after which reconnecting makes sense (as well as any unclean close). */
const RETRY_CLOSE_CODES = new Set([1006, 1011, 1012, 1013, 1014, 4004]);

/** Join errors after which reconnecting cannot succeed. */
const FINAL_JOIN_ERRORS = new Set(['room_not_found', 'invalid_secret', 'invalid_token', 'bad_request']);

/** Server messages, each dispatched as an event of the same name. */
const SERVER_MESSAGES = new Set([
    'connected', 'resumed', 'client_joined', 'client_left', 'client_away', 'client_back', 'host_changed', 'message',
    'kicked', 'room_closed', 'left', 'pong', 'error',
]);

/** Room events: numbered with `seq` in a room with resume on (`connected` and `resumed` carry the room's latest). */
const ROOM_EVENTS = new Set(['message', 'client_joined', 'client_left', 'client_away', 'client_back', 'host_changed']);

/** Refusals of `resume` that may pass by themselves: the next attempt tries to resume again. */
const TRANSIENT_JOIN_ERRORS = new Set(['room_full', 'room_locked', 'rate_limited', 'unavailable']);

/** Header of a binary relay: 4-byte sender id, then (to a resumable seat) an 8-byte seq. */
const BINARY_HEADER = 4;
const SEQUENCED_BINARY_HEADER = 12;

const REF_PREFIX = 'rjs-';

/**
 * A realtime connection to one Relay room over a WebSocket.
 *
 * Events (an `EventTarget`: `addEventListener(type, e => e.detail)`, or `on(type, detail => ...)`):
 * - one per server message, named after its `type`, whose `detail` is the message as received:
 *   `connected`, `client_joined`, `client_left`, `host_changed`, `message` (`{from, data}`), `kicked`,
 *   `room_closed`, `left`, `pong`, `error` (`{code, message, ref?}`);
 * - `servermessage`: every text message from the server, whatever its type (detail: the message);
 * - `binary`: a relayed binary message, `{from, data: Uint8Array}`;
 * - `close`: the WebSocket closed, detail {@link CloseInfo} (`willReconnect` tells whether it will retry);
 * - `reconnecting`: `{attempt, delayMs}` before each reconnection attempt;
 * - `reconnected`: `{connected, attempts, previousClientId, resumed}` once a reconnection is in the room again: after
 *   its `resumed` event (`resumed: true`, same client id, the missed events follow) or its `connected` event (a new
 *   client id);
 * - `resumefailed`: `{code, reason, previousClientId, lastSeq}` when a reconnection could not resume the seat
 *   (`resume_failed`: the window is over, the seat was kicked, the room is gone...); a fresh `connect` follows;
 * - `statechange`: `{state}` whenever {@link RelayClient#state} changes.
 *
 * With reconnection on, the client joins with `resume: true` (unless `resume: false`): after a drop it comes back to
 * its seat (`resume`) with the same client id and gets every room event it missed, through the same events as live
 * ones, each once (an event whose `seq` is not above the last one delivered is dropped).
 *
 * The room's secret (or client token) and the resume token stay in private fields: they are sent only in `connect`
 * and `resume`, and never exposed or logged.
 */
export class RelayClient extends EventTarget {
    #url;
    #WebSocket;
    #reconnect;
    #resumeEnabled;
    #droppable;
    #joinTimeoutMs;
    /** @type {WebSocket|null} */
    #ws = null;
    /** @type {HTMLIFrameElement|null} the frame whose realm owns the socket, with `droppable` */
    #frame = null;
    /** @type {{roomId: string, token: string|null, lastSeq: number, snapshotSeq: number}} the seat to come back to */
    #seat = { roomId: '', token: null, lastSeq: 0, snapshotSeq: 0 };
    #state = 'idle';
    /** @type {JoinDetails|null} join details reused by reconnection */
    #join = null;
    #joined = false;
    #terminal = false;
    #deliberate = false;
    #refSeq = 0;
    /** @type {Map<string, {kind: string, resolve: Function, reject: Function, timer: any, sentAt?: number}>} */
    #pending = new Map();
    /** @type {Map<number, {clientId: number, name: string|null}>} `isHost` is derived from the room's hostId */
    #clients = new Map();
    #room = { roomId: null, clientId: null, hostId: null, protocol: null, metadata: null };
    #listeners = new Map();
    #closeInfo = null;
    #closed;
    #resolveClosed;
    #reconnectTimer = null;
    #wakeReconnect = null;

    /**
     * @param {object} [options]
     * @param {string} [options.url] WebSocket URL (`ws://host/v1/websocket`); default: derived from `baseUrl`
     * @param {string} [options.baseUrl] the server's http(s) address; default: the page's own origin
     * @param {boolean|ReconnectOptions} [options.reconnect=false] reconnect after an unexpected drop
     * @param {boolean} [options.resume=true] with reconnection on: join with `resume: true` and, after a drop, come
     *   back to the same seat (`resume`); `false` joins afresh each time
     * @param {boolean} [options.droppable=false] open each WebSocket in a hidden frame of the page, so that
     *   {@link RelayClient#drop} can cut it as a lost network would (browser pages only)
     * @param {number} [options.joinTimeoutMs=10000] how long {@link RelayClient#connect} waits for `connected`
     * @param {typeof WebSocket} [options.WebSocket] WebSocket implementation (default: the global one)
     */
    constructor(options = {}) {
        super();
        this.#url = options.url ?? webSocketUrl(options.baseUrl);
        this.#WebSocket = options.WebSocket ?? globalThis.WebSocket;
        if (typeof this.#WebSocket !== 'function') throw new TypeError('relay.js: no WebSocket implementation');
        this.#droppable = options.droppable === true;
        if (this.#droppable && (options.WebSocket || typeof globalThis.document?.createElement !== 'function')) {
            throw new TypeError('relay.js: droppable needs a browser page and the page\'s own WebSocket');
        }
        this.#reconnect = options.reconnect
            ? Object.freeze({ ...DEFAULT_RECONNECT, ...(options.reconnect === true ? {} : options.reconnect) })
            : null;
        this.#resumeEnabled = this.#reconnect !== null && options.resume !== false;
        this.#joinTimeoutMs = options.joinTimeoutMs ?? 10000;
        this.#closed = new Promise((resolve) => { this.#resolveClosed = resolve; });
    }

    /**
     * Creates a client and joins a room: `new RelayClient(options)` then {@link RelayClient#connect}.
     * @param {JoinDetails & ConstructorParameters<typeof RelayClient>[0]} options
     * @returns {Promise<RelayClient>}
     */
    static async connect(options) {
        const client = new RelayClient(options);
        await client.connect(options);
        return client;
    }

    /**
     * `idle` (new), `connecting`, `connected` (in a room), `left` (socket open, not in a room),
     * `reconnecting`, or `closed` (for good; a closed client cannot be reused).
     * @returns {'idle'|'connecting'|'connected'|'left'|'reconnecting'|'closed'}
     */
    get state() { return this.#state; }

    /** The WebSocket URL. @returns {string} */
    get url() { return this.#url; }

    /** The room's id, while in a room. @returns {string|null} */
    get roomId() { return this.#room.roomId; }

    /** This client's id in the room (a new one after each reconnection). @returns {number|null} */
    get clientId() { return this.#room.clientId; }

    /** The host's client id, or null. @returns {number|null} */
    get hostId() { return this.#room.hostId; }

    /** Whether this client is the room's host. @returns {boolean} */
    get isHost() { return this.#room.clientId !== null && this.#room.hostId === this.#room.clientId; }

    /** The room's protocol. @returns {'mesh'|'host'|null} */
    get protocol() { return this.#room.protocol; }

    /** The room's metadata as of `connected`. @returns {object|null} */
    get metadata() { return this.#room.metadata; }

    /** Whether joins ask for `resume: true` (reconnection on and `resume` not turned off). @returns {boolean} */
    get resume() { return this.#resumeEnabled; }

    /** Whether this client's seat is resumable: the server gave it a resume token. @returns {boolean} */
    get resumable() { return this.#seat.token !== null; }

    /** The `seq` of the last room event delivered (0: none, or the room has resume off). @returns {number} */
    get lastSeq() { return this.#seat.lastSeq; }

    /**
     * The clients in the room, self included, in join order, kept up to date (`away: true` while a client's
     * connection is down and it may still resume). @returns {ClientInfo[]}
     */
    get clients() {
        return [...this.#clients.values()].map(({ away, ...c }) => {
            const entry = { ...c, isHost: c.clientId === this.#room.hostId };
            if (away) entry.away = true;
            return entry;
        });
    }

    /** How the connection ended, once {@link RelayClient#state} is `closed`. @returns {CloseInfo|null} */
    get closeInfo() { return this.#closeInfo; }

    /** Close code once closed for good (4001 kicked, 4000 room closed, ...). @returns {number|null} */
    get closeCode() { return this.#closeInfo?.code ?? null; }

    /** Close reason text once closed for good. @returns {string|null} */
    get closeReason() { return this.#closeInfo?.reason ?? null; }

    /** Resolves with the {@link CloseInfo} when the client is closed for good (no more reconnection). */
    get closed() { return this.#closed; }

    /**
     * Adds a listener that receives the event's `detail` (and the event).
     * @param {string} type
     * @param {(detail: any, event: CustomEvent) => void} listener
     * @returns {() => void} a function that removes the listener
     */
    on(type, listener) {
        let byType = this.#listeners.get(type);
        if (!byType) this.#listeners.set(type, byType = new Map());
        if (!byType.has(listener)) {
            const wrapper = (event) => listener(event.detail, event);
            byType.set(listener, wrapper);
            this.addEventListener(type, wrapper);
        }
        return () => this.off(type, listener);
    }

    /**
     * Removes a listener added with {@link RelayClient#on}.
     * @param {string} type
     * @param {Function} listener
     */
    off(type, listener) {
        const wrapper = this.#listeners.get(type)?.get(listener);
        if (wrapper) {
            this.removeEventListener(type, wrapper);
            this.#listeners.get(type).delete(listener);
        }
    }

    /**
     * Joins a room: opens the WebSocket when needed and sends `connect`. Resolves with the `connected`
     * message; rejects with a {@link RelayRealtimeError} (`invalid_secret`, `invalid_token`, `room_not_found`, `room_full`,
     * `room_locked`, `connection_closed`, `timeout`, ...). Also used after {@link RelayClient#leave} to join
     * again on the same connection.
     * @param {JoinDetails} join `secret` may be the room's `hostSecret`; or `token`, a client token (the room, name and
     *   host role it grants come from the token)
     * @returns {Promise<object>} the `connected` message
     */
    async connect(join) {
        const details = joinDetails(join);
        if (this.#state === 'closed') throw new RelayRealtimeError('client_closed', 'this client is closed; create a new one');
        if (this.#state !== 'idle' && this.#state !== 'left') {
            throw new RelayRealtimeError('already_connected', `cannot connect while ${this.#state}`);
        }
        const rejoin = this.#state === 'left';
        this.#setState('connecting');
        this.#join = null;
        this.#joined = false;
        try {
            if (!this.#ws) await this.#openSocket();
            const connected = await this.#sendJoin(details);
            this.#join = details;
            this.#joined = true;
            return connected;
        } catch (error) {
            if (this.#state === 'connecting') {
                const refused = error instanceof RelayRealtimeError && error.code !== 'timeout' && !error.close;
                if (rejoin && refused && this.#ws) this.#setState('left');
                else if (this.#ws) this.#closeSocket(1000, 'join failed');
                else this.#finish(error.close ?? { code: 1006, reason: '', wasClean: false });
            }
            throw error;
        }
    }

    /**
     * Broadcasts a JSON value to the room (who receives it depends on the room's protocol).
     * @param {*} data any JSON-serialisable value
     * @param {{ref?: string|number}} [options] `ref` is echoed in an `error` this causes
     */
    broadcast(data, options = {}) {
        this.#sendJson({ type: 'broadcast', data: requireData(data), ref: options.ref });
    }

    /**
     * Sends a JSON value to some clients.
     * @param {number|number[]} to one client id or 1-64 of them
     * @param {*} data any JSON-serialisable value
     * @param {{ref?: string|number}} [options]
     */
    send(to, data, options = {}) {
        const ids = Array.isArray(to) ? to : [to];
        if (ids.length === 0 || !ids.every(isClientId)) {
            throw new TypeError('relay.js: send needs one or more positive integer client ids');
        }
        this.#sendJson({ type: 'send', to: ids, data: requireData(data), ref: options.ref });
    }

    /**
     * Broadcasts binary data (frame `0x00` + payload).
     * @param {ArrayBuffer|ArrayBufferView} bytes
     */
    broadcastBinary(bytes) {
        const payload = toBytes(bytes);
        const frame = new Uint8Array(1 + payload.byteLength);
        frame[0] = 0x00;
        frame.set(payload, 1);
        this.#sendRaw(frame);
    }

    /**
     * Sends binary data to one client (frame `0x01` + 4-byte big-endian id + payload).
     * @param {number} to client id
     * @param {ArrayBuffer|ArrayBufferView} bytes
     */
    sendBinary(to, bytes) {
        if (!isClientId(to)) throw new TypeError('relay.js: sendBinary needs a positive integer client id');
        const payload = toBytes(bytes);
        const frame = new Uint8Array(5 + payload.byteLength);
        frame[0] = 0x01;
        new DataView(frame.buffer).setUint32(1, to, false);
        frame.set(payload, 5);
        this.#sendRaw(frame);
    }

    /**
     * Host only: removes a client (it gets `kicked` and close 4001; everyone gets `client_left`).
     * @param {number} clientId
     * @param {string} [reason] at most 256 characters
     */
    kick(clientId, reason) {
        this.#sendJson({ type: 'kick', clientId, reason });
    }

    /**
     * Host only: makes another client the host (everyone gets `host_changed`).
     * @param {number} clientId
     */
    transferHost(clientId) {
        this.#sendJson({ type: 'transfer_host', clientId });
    }

    /**
     * Host only: closes the room for everyone (`room_closed` with `closed_by_host`, close 4000).
     * @param {string} [reason] reaches the clients as `room_closed.message`
     */
    closeRoom(reason) {
        this.#sendJson({ type: 'close_room', reason });
    }

    /**
     * Application-level ping: resolves with the round-trip time in milliseconds.
     * @param {{timeoutMs?: number}} [options] default 10000
     * @returns {Promise<number>}
     */
    ping(options = {}) {
        return this.#request({ type: 'ping' }, 'ping', options.timeoutMs ?? 10000)
            .then(({ sentAt, receivedAt }) => receivedAt - sentAt);
    }

    /**
     * Leaves the room and keeps the connection open (join again with {@link RelayClient#connect} within
     * the server's connect timeout, else it closes the connection with 4002). No reconnection after this.
     * @returns {Promise<void>}
     */
    async leave() {
        const previous = [this.#join, this.#joined];
        this.#join = null;
        this.#joined = false;
        try {
            await this.#request({ type: 'leave' }, 'leave', this.#joinTimeoutMs);
            this.#forgetSeat();
        } catch (error) {
            // Still in the room (e.g. rate_limited): keep what reconnection needs.
            if (this.#state === 'connected') [this.#join, this.#joined] = previous;
            throw error;
        }
    }

    /**
     * Closes the connection for good (no reconnection) and resolves with how it ended.
     * @param {number} [code=1000] 1000 or 3000-4999
     * @param {string} [reason='']
     * @returns {Promise<CloseInfo>}
     */
    close(code = 1000, reason = '') {
        this.#deliberate = true;
        if (this.#state === 'closed') return this.#closed;
        if (this.#state === 'reconnecting') this.#cancelReconnectDelay();
        if (this.#ws) {
            this.#closeSocket(code, reason);
        } else {
            this.#finish({ code, reason, wasClean: true });
        }
        return this.#closed;
    }

    /**
     * Cuts the connection as a lost network would, to try out resuming (the playground's "Drop connection"): the
     * client stops reading the socket and handles the loss as an unexpected one (close code 1006, reconnection or
     * resume when reconnection is on). Needs the `droppable` option: page script can close a WebSocket only with
     * 1000 or 3000-4999, which the server takes as a departure, so the socket lives in a hidden frame that is
     * removed, and the browser closes it with 1001 as for a page that goes away, which keeps a resumable seat.
     */
    drop() {
        if (!this.#droppable) throw new TypeError('relay.js: drop() needs a client created with droppable: true');
        if (!this.#ws || this.#state !== 'connected') {
            throw new RelayRealtimeError('not_open', `the connection is not open (state ${this.#state})`);
        }
        this.#ws = null;
        this.#removeFrame();
        this.#onClose({ code: 1006, reason: 'dropped', wasClean: false });
    }

    // ---- internals -------------------------------------------------------------------------------------

    #setState(state) {
        if (this.#state === state) return;
        this.#state = state;
        this.#emit('statechange', { state });
    }

    #emit(type, detail) {
        this.dispatchEvent(new CustomEvent(type, { detail }));
    }

    #openSocket() {
        return new Promise((resolve, reject) => {
            let ws;
            try {
                ws = new (this.#socketRealm())(this.#url);
            } catch (error) {
                this.#removeFrame();
                reject(new RelayRealtimeError('connection_closed', `cannot open ${this.#url}: ${error.message}`));
                return;
            }
            ws.binaryType = 'arraybuffer';
            this.#ws = ws;
            let opened = false;
            ws.onopen = () => {
                opened = true;
                resolve();
            };
            ws.onmessage = (event) => {
                if (ws === this.#ws) this.#onMessage(event.data);
            };
            ws.onclose = (event) => {
                const info = { code: event.code, reason: event.reason, wasClean: event.wasClean };
                if (ws === this.#ws) this.#removeFrame();
                if (!opened) {
                    if (ws === this.#ws) this.#ws = null;
                    reject(new RelayRealtimeError('connection_closed', `connection failed (close ${event.code})`, { close: info }));
                    return;
                }
                if (ws === this.#ws) this.#onClose(info);
            };
            // Errors are always followed by a close event, which carries what there is to know.
            ws.onerror = () => {};
        });
    }

    /** The WebSocket constructor for a new socket: with `droppable`, the one of a new hidden frame. */
    #socketRealm() {
        if (!this.#droppable) return this.#WebSocket;
        this.#removeFrame();
        const frame = globalThis.document.createElement('iframe');
        frame.hidden = true;
        frame.setAttribute('aria-hidden', 'true');
        globalThis.document.body.append(frame);
        this.#frame = frame;
        return frame.contentWindow.WebSocket;
    }

    #removeFrame() {
        this.#frame?.remove();
        this.#frame = null;
    }

    #closeSocket(code, reason) {
        try {
            this.#ws?.close(code, reason);
        } catch {
            this.#ws?.close();
        }
    }

    #nextRef() {
        this.#refSeq += 1;
        return `${REF_PREFIX}${this.#refSeq}`;
    }

    #sendJson(message) {
        this.#sendRaw(JSON.stringify(message));
    }

    #sendRaw(frame) {
        const ws = this.#ws;
        if (!ws || ws.readyState !== 1) {
            throw new RelayRealtimeError('not_open', `the connection is not open (state ${this.#state})`);
        }
        ws.send(frame);
    }

    /** Sends a message carrying an internal ref and waits for its reply (or the `error` echoing the ref). */
    #request(message, kind, timeoutMs) {
        const ref = this.#nextRef();
        return new Promise((resolve, reject) => {
            const entry = { kind, resolve, reject, timer: null, sentAt: 0 };
            entry.timer = setTimeout(() => {
                this.#pending.delete(ref);
                reject(new RelayRealtimeError('timeout', `no answer to ${message.type} within ${timeoutMs} ms`, { ref }));
            }, timeoutMs);
            this.#pending.set(ref, entry);
            try {
                entry.sentAt = now();
                this.#sendJson({ ...message, ref });
            } catch (error) {
                clearTimeout(entry.timer);
                this.#pending.delete(ref);
                reject(error);
            }
        });
    }

    #sendJoin(details) {
        const message = details.token !== undefined
            ? { type: 'connect', token: details.token }
            : { type: 'connect', roomId: details.roomId, secret: details.secret };
        if (details.name !== undefined && details.name !== null) message.name = details.name;
        if (this.#resumeEnabled) message.resume = true;
        return this.#request(message, 'connect', this.#joinTimeoutMs).then(({ message: connected }) => connected);
    }

    /** Sends `resume` for the seat; resolves with `resumed`, rejects with the refusal. */
    #sendResume() {
        const { roomId, token, lastSeq } = this.#seat;
        return this.#request({ type: 'resume', roomId, token, seq: lastSeq }, 'resume', this.#joinTimeoutMs)
            .then(({ message: resumed }) => resumed);
    }

    /** The seat is gone (left, kicked, or not resumable): the next join starts afresh. */
    #forgetSeat() {
        this.#seat = { roomId: '', token: null, lastSeq: 0, snapshotSeq: 0 };
    }

    /**
     * Whether a room event is new: one whose `seq` is not above the last delivered was delivered already (a replay
     * overlapping live events) and is dropped. Events without a seq (rooms with resume off) are always new.
     */
    #accept(seq) {
        if (typeof seq !== 'number' || seq <= 0) return true;
        if (seq <= this.#seat.lastSeq) return false;
        this.#seat.lastSeq = seq;
        return true;
    }

    #settle(ref, kind, message) {
        if (ref === undefined || ref === null) return;
        const entry = this.#pending.get(ref);
        if (!entry || (kind && entry.kind !== kind)) return;
        this.#pending.delete(ref);
        clearTimeout(entry.timer);
        if (message.type === 'error') {
            entry.reject(new RelayRealtimeError(message.code, message.message ?? message.code, { ref }));
        } else {
            entry.resolve({ message, sentAt: entry.sentAt, receivedAt: now() });
        }
    }

    #onMessage(data) {
        if (typeof data !== 'string') {
            // A socket of a `droppable` frame hands over that frame's ArrayBuffer: no `instanceof` across realms.
            if (Object.prototype.toString.call(data) !== '[object ArrayBuffer]') return;
            const header = this.#seat.token !== null ? SEQUENCED_BINARY_HEADER : BINARY_HEADER;
            if (data.byteLength < header) return;
            const view = new DataView(data);
            const from = view.getUint32(0, false);
            if (header === BINARY_HEADER) {
                this.#emit('binary', { from, data: new Uint8Array(data, header) });
                return;
            }
            const seq = Number(view.getBigUint64(4, false));
            if (this.#accept(seq)) this.#emit('binary', { from, seq, data: new Uint8Array(data, header) });
            return;
        }
        let message;
        try {
            message = JSON.parse(data);
        } catch {
            return;
        }
        if (!message || typeof message !== 'object' || typeof message.type !== 'string') return;
        if (ROOM_EVENTS.has(message.type) && !this.#accept(message.seq)) return;
        this.#apply(message);
        this.#emit('servermessage', message);
        if (SERVER_MESSAGES.has(message.type)) this.#emit(message.type, message);
    }

    /** Updates the room state from a server message, and settles the request it answers. */
    #apply(message) {
        switch (message.type) {
            case 'connected':
            case 'resumed':
                this.#enterRoom(message);
                this.#settle(message.ref, message.type === 'connected' ? 'connect' : 'resume', message);
                break;
            case 'client_joined':
                if (!this.#inSnapshot(message)) this.#clients.set(message.clientId, member(message));
                break;
            case 'client_left':
                if (!this.#inSnapshot(message)) this.#clients.delete(message.clientId);
                break;
            case 'client_away':
            case 'client_back': {
                const entry = this.#clients.get(message.clientId);
                if (entry && !this.#inSnapshot(message)) {
                    if (message.type === 'client_away') entry.away = true;
                    else delete entry.away;
                }
                break;
            }
            case 'host_changed':
                if (!this.#inSnapshot(message)) this.#room.hostId = message.hostId ?? null;
                break;
            case 'kicked':
            case 'room_closed':
                this.#terminal = true;
                this.#join = null;
                this.#forgetSeat();
                break;
            case 'left':
                this.#clearRoom();
                this.#setState('left');
                this.#settle(message.ref, 'leave', message);
                break;
            case 'pong':
                this.#settle(message.ref, 'ping', message);
                break;
            case 'error':
                this.#settle(message.ref, null, message);
                break;
            default:
                break;
        }
    }

    /**
     * `connected` starts a seat whose view starts after its `seq`; `resumed` keeps the seat's last seq (the missed
     * events follow) and brings the room view as of its `seq`. Each brings a new single-use resume token.
     */
    #enterRoom(message) {
        this.#room = {
            roomId: message.roomId,
            clientId: message.clientId,
            hostId: message.hostId ?? null,
            protocol: message.protocol,
            metadata: message.metadata ?? {},
        };
        this.#clients = new Map((message.clients ?? []).map((c) => [c.clientId, member(c)]));
        const token = typeof message.resumeToken === 'string' ? message.resumeToken : null;
        const seq = typeof message.seq === 'number' ? message.seq : 0;
        if (message.type === 'resumed') {
            this.#seat = { ...this.#seat, token, snapshotSeq: Math.max(seq, this.#seat.lastSeq) };
        } else {
            this.#seat = { roomId: message.roomId, token, lastSeq: seq, snapshotSeq: seq };
        }
        this.#terminal = false;
        this.#setState('connected');
    }

    /** Whether the room view the last `resumed` brought already reflects this (replayed) event. */
    #inSnapshot(message) {
        return typeof message.seq === 'number' && message.seq <= this.#seat.snapshotSeq;
    }

    #clearRoom() {
        this.#room = { roomId: null, clientId: null, hostId: null, protocol: null, metadata: null };
        this.#clients = new Map();
    }

    #rejectPending(close) {
        const pending = [...this.#pending.entries()];
        this.#pending.clear();
        for (const [ref, entry] of pending) {
            clearTimeout(entry.timer);
            entry.reject(new RelayRealtimeError('connection_closed', `connection closed (code ${close.code})`, { ref, close }));
        }
    }

    #onClose(info) {
        this.#ws = null;
        this.#rejectPending(info);
        if (this.#state === 'reconnecting') return; // the attempt in progress handles it
        const abnormal = !info.wasClean || RETRY_CLOSE_CODES.has(info.code);
        const retry = this.#reconnect !== null && this.#joined && this.#join !== null
            && !this.#deliberate && !this.#terminal && abnormal && info.code !== 4000 && info.code !== 4001;
        if (!retry) {
            this.#finish(info);
            return;
        }
        const previousClientId = this.#room.clientId;
        this.#clearRoom();
        this.#setState('reconnecting');
        this.#emit('close', { ...info, willReconnect: true });
        this.#reconnectLoop(info, previousClientId);
    }

    #finish(info) {
        if (this.#state === 'closed') return;
        this.#ws = null;
        this.#removeFrame();
        this.#join = null;
        this.#forgetSeat();
        this.#clearRoom();
        const closeInfo = Object.freeze({ ...info, willReconnect: false });
        this.#closeInfo = closeInfo;
        this.#setState('closed');
        this.#emit('close', closeInfo);
        this.#resolveClosed(closeInfo);
    }

    #delay(ms) {
        return new Promise((resolve) => {
            this.#wakeReconnect = resolve;
            this.#reconnectTimer = setTimeout(resolve, ms);
        });
    }

    async #reconnectLoop(firstClose, previousClientId) {
        const options = this.#reconnect;
        const spread = Math.min(Math.max(options.jitter, 0), 1);
        let lastClose = firstClose;
        for (let attempt = 1; attempt <= options.maxAttempts; attempt += 1) {
            const base = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** (attempt - 1));
            const delayMs = Math.round(base * (1 - spread * Math.random()));
            this.#emit('reconnecting', { attempt, delayMs });
            await this.#delay(delayMs);
            if (this.#state !== 'reconnecting' || this.#deliberate) return;
            const details = this.#join;
            try {
                await this.#openSocket();
                if (this.#state !== 'reconnecting' || this.#deliberate) {
                    this.#closeSocket(1000, '');
                    return;
                }
                const resumed = this.#seat.token !== null ? await this.#tryResume(previousClientId) : null;
                const connected = resumed ?? await this.#sendJoin(details);
                this.#emit('reconnected', { connected, attempts: attempt, previousClientId, resumed: resumed !== null });
                return; // `connected` or `resumed` moved the state on
            } catch (error) {
                if (this.#state !== 'reconnecting') return;
                if (error.close) lastClose = error.close;
                if (this.#ws) {
                    const ws = this.#ws;
                    this.#ws = null;
                    try { ws.close(1000, 'reconnect attempt failed'); } catch { /* already closing */ }
                }
                if (this.#deliberate || FINAL_JOIN_ERRORS.has(error.code)) break;
            }
        }
        if (this.#state === 'reconnecting') this.#finish(lastClose);
    }

    /**
     * Sends `resume` on the new socket: resolves with `resumed`, or with null when the server cannot resume the seat
     * (then the seat is forgotten, `resumefailed` says why, and the caller joins afresh on the same socket). A
     * refusal that may pass by itself (`unavailable`, ...) rejects: the next attempt tries to resume again.
     */
    async #tryResume(previousClientId) {
        const lastSeq = this.#seat.lastSeq;
        try {
            return await this.#sendResume();
        } catch (error) {
            if (!(error instanceof RelayRealtimeError) || error.close || error.code === 'timeout'
                || TRANSIENT_JOIN_ERRORS.has(error.code)) {
                throw error;
            }
            this.#forgetSeat();
            this.#emit('resumefailed', { code: error.code, reason: error.message, previousClientId, lastSeq });
            return null;
        }
    }

    /** Ends a pending reconnection delay (used by close()). */
    #cancelReconnectDelay() {
        clearTimeout(this.#reconnectTimer);
        this.#wakeReconnect?.();
    }
}

/** The join details of `connect`, checked: `{roomId, secret, name?}` or `{token, name?}`. */
function joinDetails(join) {
    const given = (value) => value !== undefined && value !== null;
    const name = join?.name ?? undefined;
    if (join && typeof join.token === 'string' && join.token !== '') {
        if (given(join.roomId) || given(join.secret)) {
            throw new TypeError('relay.js: connect takes {token} or {roomId, secret}, not both (the token names the room)');
        }
        return { token: join.token, name };
    }
    if (!join || typeof join.roomId !== 'string' || typeof join.secret !== 'string' || given(join.token)) {
        throw new TypeError('relay.js: connect needs {roomId, secret} strings, or {token}, a non-empty client token');
    }
    return { roomId: join.roomId, secret: join.secret, name };
}

/** A member entry (of `connected`) or a `client_joined`, as {@link RelayClient#clients} keeps it. */
function member(m) {
    const entry = { clientId: m.clientId, name: m.name ?? null };
    if (typeof m.userId === 'string') entry.userId = m.userId;
    if (m.away === true) entry.away = true;
    return entry;
}

function requireData(data) {
    if (data === undefined) throw new TypeError('relay.js: data must be a JSON value (use null for nothing)');
    return data;
}

function isClientId(id) {
    return Number.isInteger(id) && id >= 1 && id <= 0x7fffffff;
}

function toBytes(bytes) {
    if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
    if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    throw new TypeError('relay.js: binary data must be an ArrayBuffer or a typed array (e.g. Uint8Array)');
}

function now() {
    return globalThis.performance?.now() ?? Date.now();
}
