// TypeScript declarations of relay.js, the Relay browser client (@relay-server/client).
// Every export of relay.js is declared here; tests/Relay.IntegrationTests/Shipping checks that with the TypeScript
// compiler (clients/js/test). Wire protocol: docs/protocol.md.

/** Version of the Relay wire protocol this module speaks. */
export const PROTOCOL_VERSION: 1;

/** Path of the WebSocket endpoint on a Relay server. */
export const WEBSOCKET_PATH: '/v1/websocket';

/** Path prefix of the REST API on a Relay server. */
export const API_PATH: '/v1/api';

/** A JSON value, as relayed in `data` and kept in room `metadata`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** A room's relaying rules. */
export type RoomProtocol = 'mesh' | 'host';

/** How a room gets its host: the first client to join, or only a client presenting the host secret. */
export type HostAssignment = 'first' | 'secret';

/** A member of a room, as the REST API lists it in a single-room read. */
export interface RoomMember {
    clientId: number;
    name: string | null;
    isHost: boolean;
    /** RFC 3339 UTC */
    connectedAt: string;
    /** the user id (`sub`) of the client token it joined with; absent otherwise */
    userId?: string;
}

/**
 * A room as the REST API describes it. `secret` and `hostSecret` are present only in the answer to
 * {@link RelayApi.createRoom}; `clients` only in single-room reads.
 */
export interface Room {
    id: string;
    /** join secret (create answer only) */
    secret?: string;
    /** host secret (create answer only) */
    hostSecret?: string;
    protocol: RoomProtocol;
    hostAssignment: HostAssignment;
    maxClients: number;
    locked: boolean;
    metadata: JsonObject;
    /** RFC 3339 UTC */
    createdAt: string;
    hostId: number | null;
    clientCount: number;
    /** relay messages accepted in the room (broadcast, send, binary, REST push), each counted once; in a cluster other nodes' relays arrive with their heartbeat */
    messagesRelayed: number;
    clients?: RoomMember[];
}

/** The answer to {@link RelayApi.createRoom}: a room with both of its secrets. */
export interface CreatedRoom extends Room {
    secret: string;
    hostSecret: string;
}

/** Options of {@link RelayApi.createRoom}; every field is optional. */
export interface CreateRoomOptions {
    /** 1-64 characters of [A-Za-z0-9_-]; generated when absent (409 if taken) */
    id?: string;
    /** 8-256 characters; generated when absent */
    secret?: string;
    /** default `mesh` */
    protocol?: RoomProtocol;
    /** default `first` */
    hostAssignment?: HostAssignment;
    /** default set by the server (16) */
    maxClients?: number;
    /** a JSON object shown to clients in `connected` */
    metadata?: JsonObject | null;
}

/** Changes of {@link RelayApi.updateRoom}. */
export interface UpdateRoomChanges {
    maxClients?: number;
    locked?: boolean;
    metadata?: JsonObject;
}

/** One page of {@link RelayApi.listRooms}. */
export interface RoomPage {
    items: Room[];
    total: number;
    offset: number;
    limit: number;
}

/** Totals over all rooms ({@link RelayApi.getSummary}). */
export interface Summary {
    rooms: number;
    clients: number;
    roomsByProtocol: Record<string, number>;
    messagesRelayed: number;
    bytesRelayed: number;
    uptimeSeconds: number;
}

/** Options of {@link RelayApi}. */
export interface RelayApiOptions {
    /** the server's http(s) address (a path prefix is kept); default: the page's own origin */
    baseUrl?: string;
    /** one of the server's `Relay:ApiKeys`, when it has any */
    apiKey?: string;
    /** fetch implementation (default: the global one) */
    fetch?: typeof fetch;
}

/** An RFC 9457 problem details document, as the REST API sends with its error answers. */
export interface ProblemDetails {
    type?: string;
    title?: string;
    status?: number;
    detail?: string;
    traceId?: string;
    errors?: Record<string, string[]>;
    [key: string]: unknown;
}

/** An error answer of the REST API: an RFC 9457 problem details document, or any other non-2xx answer. */
export class RelayApiError extends Error {
    /**
     * @param status HTTP status
     * @param problem the problem details document, when the answer was one
     * @param fallbackTitle title to use when the answer had none (e.g. the status text)
     */
    constructor(status: number, problem: ProblemDetails | null, fallbackTitle?: string);
    readonly name: 'RelayApiError';
    /** HTTP status of the answer */
    status: number;
    /** problem `title`, or the HTTP status text */
    title: string;
    /** problem `detail` */
    detail: string | undefined;
    /** validation errors: field name to messages (`""` is the body) */
    errors: Record<string, string[]> | undefined;
    /** problem `type` URI */
    type: string | undefined;
    /** problem `traceId`, for the server's logs */
    traceId: string | undefined;
    /** the whole problem document, when there was one */
    problem: ProblemDetails | null;
}

/** Codes of the server's `error` messages. */
export type ServerErrorCode =
    | 'bad_request'
    | 'unknown_type'
    | 'not_connected'
    | 'already_connected'
    | 'room_not_found'
    | 'invalid_secret'
    | 'invalid_token'
    | 'room_full'
    | 'room_locked'
    | 'not_host'
    | 'forbidden'
    | 'unknown_client'
    | 'rate_limited'
    | 'unavailable'
    | 'resume_failed';

/** Codes of failures found by the client itself. */
export type LocalErrorCode = 'connection_closed' | 'timeout' | 'not_open' | 'already_connected' | 'client_closed';

/**
 * A realtime failure: an `error` message from the server answering one of this client's requests (`code` is
 * the protocol's error code, e.g. `invalid_secret`), or a local one: `connection_closed`, `timeout`,
 * `not_open`, `already_connected`, `client_closed`.
 */
export class RelayRealtimeError extends Error {
    constructor(code: string, message: string, extra?: { ref?: MessageRef; close?: CloseInfo });
    readonly name: 'RelayRealtimeError';
    /** protocol error code or local failure code */
    code: ServerErrorCode | LocalErrorCode | (string & {});
    /** the `ref` of the request it answers */
    ref: MessageRef | undefined;
    /** for `connection_closed`: how the connection ended */
    close: CloseInfo | undefined;
}

/**
 * The WebSocket URL of a Relay server: `ws://host/v1/websocket` for `http://host`, `wss://` for `https://`.
 * @param baseUrl the server's http(s) address (a path prefix is kept); default: the page's own origin
 */
export function webSocketUrl(baseUrl?: string): string;

/**
 * REST client for Relay's backend API (`/v1/api`). Every method returns a promise that rejects with a
 * {@link RelayApiError} for an error answer (and with the fetch `TypeError` when the server cannot be reached).
 * Think twice before giving an API key to code in a browser: anyone holding it can manage every room.
 */
export class RelayApi {
    constructor(options?: RelayApiOptions);
    /** The server address requests go to. */
    readonly baseUrl: string;
    /** `POST /v1/api/rooms`: creates a room. The answer is the only place its `secret` and `hostSecret` appear. */
    createRoom(options?: CreateRoomOptions): Promise<CreatedRoom>;
    /** `GET /v1/api/rooms`: one page of rooms, in creation order, without `clients` (`limit` 1-500, default 50). */
    listRooms(page?: { offset?: number; limit?: number }): Promise<RoomPage>;
    /** `GET /v1/api/rooms/{id}`: a room with its `clients`. */
    getRoom(roomId: string): Promise<Room & { clients: RoomMember[] }>;
    /** `PATCH /v1/api/rooms/{id}`: changes `maxClients`, `locked` or `metadata`. */
    updateRoom(roomId: string, changes: UpdateRoomChanges): Promise<Room>;
    /** `DELETE /v1/api/rooms/{id}`: deletes a room; its clients get `room_closed` (`deleted`) and close 4000. */
    deleteRoom(roomId: string): Promise<void>;
    /** `POST /v1/api/rooms/{id}/messages`: pushes a message from the server (client id 0) to every client or to `to`. */
    pushMessage(roomId: string, data: JsonValue, options?: { to?: number[] }): Promise<{ recipients: number }>;
    /** `DELETE /v1/api/rooms/{id}/clients/{clientId}`: kicks a client (it gets `kicked` and close 4001). */
    kickClient(roomId: string, clientId: number): Promise<void>;
    /** `GET /v1/api/summary`: totals over all rooms. */
    getSummary(): Promise<Summary>;
}

/** A message's `ref`: echoed by the server in the `error` it causes (and in `connected`, `left`, `pong`). */
export type MessageRef = string | number;

/** A client as the realtime protocol shows it. */
export interface ClientInfo {
    clientId: number;
    name: string | null;
    /** the user id (`sub`) of the client token it joined with; absent otherwise */
    userId?: string;
    isHost: boolean;
    /** present while the client is away: its connection dropped and it may resume its seat */
    away?: true;
}

/** How a connection ended. */
export interface CloseInfo {
    /** WebSocket close code (4000 room closed, 4001 kicked, 1000 normal, 1006 dropped, ...) */
    code: number;
    /** close reason text, informative only */
    reason: string;
    /** whether the closing handshake completed */
    wasClean: boolean;
    /** whether the client is about to reconnect */
    willReconnect: boolean;
}

/**
 * Reconnection settings. The client reconnects only after an abnormal loss (a close without a closing handshake,
 * or with code 1006, 1011-1014 or 4004), never after a kick, a room close, {@link RelayClient.close},
 * {@link RelayClient.leave}, close codes 1000, 1008, 1009 or 4002, nor before the first successful join. An
 * attempt refused with `room_not_found`, `invalid_secret`, `invalid_token` or `bad_request` ends reconnection.
 */
export interface ReconnectOptions {
    /** delay before the first attempt; default 500 */
    initialDelayMs?: number;
    /** largest delay between attempts; default 30000 */
    maxDelayMs?: number;
    /** growth of the delay per attempt; default 2 */
    factor?: number;
    /** a delay `d` becomes a random value in `[d × (1 - jitter), d]`; default 0.5 */
    jitter?: number;
    /** attempts per loss (`Infinity` for no limit); default 10 */
    maxAttempts?: number;
}

/** Options of {@link RelayClient}. */
export interface RelayClientOptions {
    /** WebSocket URL (`ws://host/v1/websocket`); default: derived from `baseUrl` */
    url?: string;
    /** the server's http(s) address; default: the page's own origin */
    baseUrl?: string;
    /** reconnect after an unexpected drop (default false); `true` uses the default {@link ReconnectOptions} */
    reconnect?: boolean | ReconnectOptions;
    /**
     * with reconnection on: join with `resume: true` and, after a drop, come back to the same seat (same client id,
     * every missed event once); default true. `false` joins afresh after each drop.
     */
    resume?: boolean;
    /**
     * open each WebSocket in a hidden frame of the page, so that {@link RelayClient.drop} can cut it as a lost
     * network would (browser pages only, not with a `WebSocket` option); default false
     */
    droppable?: boolean;
    /** how long {@link RelayClient.connect} waits for `connected`; default 10000 */
    joinTimeoutMs?: number;
    /** WebSocket implementation (default: the global one) */
    WebSocket?: typeof WebSocket;
}

/** Joining with the room's id and secret. `secret` may be the room's `hostSecret`. */
export interface SecretJoinDetails {
    roomId: string;
    secret: string;
    token?: never;
    /** at most 64 characters */
    name?: string;
}

/**
 * Joining with a client token minted by the backend (a JWT naming the room, and optionally the name, user id and
 * host role): sent as `token` in `connect`, without `roomId` and `secret`, and again on each reconnection.
 */
export interface TokenJoinDetails {
    token: string;
    roomId?: never;
    secret?: never;
    /** used when the token has no `name` claim; at most 64 characters */
    name?: string;
}

/** What {@link RelayClient.connect} needs to join a room: its id and secret, or a client token. */
export type JoinDetails = SecretJoinDetails | TokenJoinDetails;

/** `connected`: this client joined a room. */
export interface ConnectedMessage {
    type: 'connected';
    roomId: string;
    clientId: number;
    hostId: number | null;
    isHost: boolean;
    protocol: RoomProtocol;
    metadata: JsonObject;
    /** every client of the room, this one included */
    clients: ClientInfo[];
    /** joined with `resume: true` in a room with resume on: the single-use token of the seat */
    resumeToken?: string;
    /** joined with `resume: true` in a room with resume on: the room's latest `seq` (the view starts after it) */
    seq?: number;
    ref?: MessageRef;
}

/** `resumed`: this client came back to its seat; the `missed` room events follow, then live ones. */
export interface ResumedMessage extends Omit<ConnectedMessage, 'type' | 'resumeToken' | 'seq'> {
    type: 'resumed';
    /** the seat's new single-use token */
    resumeToken: string;
    /** the room's latest `seq` when the return took effect */
    seq: number;
    /** how many missed room events follow */
    missed: number;
}

/** `client_joined`: another client joined the room. */
export interface ClientJoinedMessage {
    type: 'client_joined';
    clientId: number;
    name: string | null;
    /** the user id (`sub`) of the client token it joined with; absent otherwise */
    userId?: string;
    /** in a room with resume on */
    seq?: number;
}

/** `client_away`: another client's connection dropped; it keeps its seat for the room's resume window. */
export interface ClientAwayMessage {
    type: 'client_away';
    clientId: number;
    seq: number;
}

/** `client_back`: an away client resumed its seat. */
export interface ClientBackMessage {
    type: 'client_back';
    clientId: number;
    seq: number;
}

/** Why a client left a room. */
export type ClientLeftReason = 'left' | 'disconnected' | 'kicked' | 'timeout';

/** `client_left`: another client left the room. */
export interface ClientLeftMessage {
    type: 'client_left';
    clientId: number;
    reason: ClientLeftReason;
    /** in a room with resume on */
    seq?: number;
}

/** `host_changed`: the room has a new host (`hostId` null: none). */
export interface HostChangedMessage {
    type: 'host_changed';
    hostId: number | null;
    /** in a room with resume on */
    seq?: number;
}

/** `message`: relayed JSON data (`from` 0 is the server: a backend push). */
export interface DataMessage<T = JsonValue> {
    type: 'message';
    from: number;
    data: T;
    /** in a room with resume on */
    seq?: number;
}

/** `kicked`: this client was kicked (close 4001 follows). */
export interface KickedMessage {
    type: 'kicked';
    reason: string;
}

/** Why a room closed. */
export type RoomClosedReason = 'closed_by_host' | 'deleted' | 'host_left' | 'expired' | 'shutdown';

/** `room_closed`: the room is gone (close 4000, or 1001 at shutdown, follows). */
export interface RoomClosedMessage {
    type: 'room_closed';
    reason: RoomClosedReason;
    /** the host's reason, for `closed_by_host` */
    message?: string;
}

/** `left`: the answer to {@link RelayClient.leave}. */
export interface LeftMessage {
    type: 'left';
    ref?: MessageRef;
}

/** `pong`: the answer to a ping. */
export interface PongMessage {
    type: 'pong';
    ref?: MessageRef;
}

/** `error`: a message of this client failed. */
export interface ErrorMessage {
    type: 'error';
    code: ServerErrorCode | (string & {});
    message: string;
    ref?: MessageRef;
}

/** Every text message the server sends. */
export type ServerMessage =
    | ConnectedMessage
    | ResumedMessage
    | ClientJoinedMessage
    | ClientLeftMessage
    | ClientAwayMessage
    | ClientBackMessage
    | HostChangedMessage
    | DataMessage
    | KickedMessage
    | RoomClosedMessage
    | LeftMessage
    | PongMessage
    | ErrorMessage;

/** A relayed binary message. */
export interface BinaryMessage {
    from: number;
    data: Uint8Array;
    /** to a resumable seat (12-byte header): the relay's `seq` (0: unnumbered) */
    seq?: number;
}

/** The `detail` of `resumefailed`: a reconnection could not resume the seat; a fresh `connect` follows. */
export interface ResumeFailedDetail {
    /** the server's refusal code, `resume_failed` (window over, seat kicked, room gone, token used, history gone) */
    code: ServerErrorCode | (string & {});
    /** the server's message */
    reason: string;
    /** the client id the seat had */
    previousClientId: number | null;
    /** the `seq` of the last room event delivered; nothing after it was replayed */
    lastSeq: number;
}

/** {@link RelayClient.state}. */
export type RelayClientState = 'idle' | 'connecting' | 'connected' | 'left' | 'reconnecting' | 'closed';

/** The `detail` of every event of {@link RelayClient}, by event name. */
export interface RelayClientEventMap {
    connected: ConnectedMessage;
    resumed: ResumedMessage;
    client_joined: ClientJoinedMessage;
    client_left: ClientLeftMessage;
    client_away: ClientAwayMessage;
    client_back: ClientBackMessage;
    host_changed: HostChangedMessage;
    message: DataMessage;
    kicked: KickedMessage;
    room_closed: RoomClosedMessage;
    left: LeftMessage;
    pong: PongMessage;
    error: ErrorMessage;
    /** every text message from the server, whatever its type */
    servermessage: ServerMessage;
    /** a relayed binary message */
    binary: BinaryMessage;
    /** the WebSocket closed (`willReconnect` tells whether the client will retry) */
    close: CloseInfo;
    /** before each reconnection attempt */
    reconnecting: { attempt: number; delayMs: number };
    /**
     * a reconnection is in the room again: after its `resumed` event (`resumed` true, same client id, the missed
     * events follow) or its `connected` event (a new client id)
     */
    reconnected: { connected: ConnectedMessage | ResumedMessage; attempts: number; previousClientId: number | null; resumed: boolean };
    /** a reconnection could not resume the seat (the reason is the server's); it joins afresh next */
    resumefailed: ResumeFailedDetail;
    /** {@link RelayClient.state} changed */
    statechange: { state: RelayClientState };
}

/** An event name of {@link RelayClient}. */
export type RelayClientEventType = keyof RelayClientEventMap;

/**
 * A realtime connection to one Relay room over a WebSocket: an `EventTarget` whose events
 * ({@link RelayClientEventMap}) are `CustomEvent`s carrying the message or state in `detail`.
 * The room's secret (or client token) stays in a private field: it is sent only in `connect` and never exposed.
 */
export class RelayClient extends EventTarget {
    constructor(options?: RelayClientOptions);

    /** Creates a client and joins a room: `new RelayClient(options)` then {@link RelayClient.connect}. */
    static connect(options: JoinDetails & RelayClientOptions): Promise<RelayClient>;

    /** `idle` (new), `connecting`, `connected` (in a room), `left`, `reconnecting`, or `closed` (for good). */
    readonly state: RelayClientState;
    /** The WebSocket URL. */
    readonly url: string;
    /** The room's id, while in a room. */
    readonly roomId: string | null;
    /** This client's id in the room (a new one after each reconnection). */
    readonly clientId: number | null;
    /** The host's client id, or null. */
    readonly hostId: number | null;
    /** Whether this client is the room's host. */
    readonly isHost: boolean;
    /** The room's protocol. */
    readonly protocol: RoomProtocol | null;
    /** The room's metadata as of `connected`. */
    readonly metadata: JsonObject | null;
    /** Whether joins ask for `resume: true` (reconnection on and `resume` not turned off). */
    readonly resume: boolean;
    /** Whether this client's seat is resumable: the server gave it a resume token. */
    readonly resumable: boolean;
    /** The `seq` of the last room event delivered (0: none, or the room has resume off). */
    readonly lastSeq: number;
    /** The clients in the room, self included, in join order, kept up to date (`away` while one is away). */
    readonly clients: ClientInfo[];
    /** How the connection ended, once {@link RelayClient.state} is `closed`. */
    readonly closeInfo: CloseInfo | null;
    /** Close code once closed for good (4001 kicked, 4000 room closed, ...). */
    readonly closeCode: number | null;
    /** Close reason text once closed for good. */
    readonly closeReason: string | null;
    /** Resolves with the {@link CloseInfo} when the client is closed for good (no more reconnection). */
    readonly closed: Promise<CloseInfo>;

    /** Adds a listener that receives the event's `detail` (and the event); returns a function that removes it. */
    on<K extends RelayClientEventType>(
        type: K,
        listener: (detail: RelayClientEventMap[K], event: CustomEvent<RelayClientEventMap[K]>) => void,
    ): () => void;
    /** Removes a listener added with {@link RelayClient.on}. */
    off<K extends RelayClientEventType>(
        type: K,
        listener: (detail: RelayClientEventMap[K], event: CustomEvent<RelayClientEventMap[K]>) => void,
    ): void;

    addEventListener<K extends RelayClientEventType>(
        type: K,
        listener: (this: RelayClient, event: CustomEvent<RelayClientEventMap[K]>) => void,
        options?: boolean | AddEventListenerOptions,
    ): void;
    addEventListener(
        type: string,
        listener: EventListenerOrEventListenerObject | null,
        options?: boolean | AddEventListenerOptions,
    ): void;
    removeEventListener<K extends RelayClientEventType>(
        type: K,
        listener: (this: RelayClient, event: CustomEvent<RelayClientEventMap[K]>) => void,
        options?: boolean | EventListenerOptions,
    ): void;
    removeEventListener(
        type: string,
        listener: EventListenerOrEventListenerObject | null,
        options?: boolean | EventListenerOptions,
    ): void;

    /**
     * Joins a room: opens the WebSocket when needed and sends `connect`. Resolves with the `connected` message;
     * rejects with a {@link RelayRealtimeError} (`invalid_secret`, `invalid_token`, `room_not_found`, `room_full`,
     * `room_locked`, `connection_closed`, `timeout`, ...). Also joins again on the same connection after
     * {@link RelayClient.leave}. With a {@link TokenJoinDetails} the room, name and host role come from the token.
     */
    connect(join: JoinDetails): Promise<ConnectedMessage>;
    /** Broadcasts a JSON value to the room (who receives it depends on the room's protocol). */
    broadcast(data: JsonValue, options?: { ref?: MessageRef }): void;
    /** Sends a JSON value to one client id or to 1-64 of them. */
    send(to: number | number[], data: JsonValue, options?: { ref?: MessageRef }): void;
    /** Broadcasts binary data (frame `0x00` + payload). */
    broadcastBinary(bytes: ArrayBuffer | ArrayBufferView): void;
    /** Sends binary data to one client (frame `0x01` + 4-byte big-endian id + payload). */
    sendBinary(to: number, bytes: ArrayBuffer | ArrayBufferView): void;
    /** Host only: removes a client (it gets `kicked` and close 4001; everyone gets `client_left`). */
    kick(clientId: number, reason?: string): void;
    /** Host only: makes another client the host (everyone gets `host_changed`). */
    transferHost(clientId: number): void;
    /** Host only: closes the room for everyone (`room_closed` with `closed_by_host`, close 4000). */
    closeRoom(reason?: string): void;
    /** Application-level ping: resolves with the round-trip time in milliseconds (default timeout 10000). */
    ping(options?: { timeoutMs?: number }): Promise<number>;
    /** Leaves the room and keeps the connection open (join again with {@link RelayClient.connect}). */
    leave(): Promise<void>;
    /**
     * Cuts the connection as a lost network would, to try out resuming: the client handles it as an unexpected loss
     * (close 1006; reconnects or resumes when reconnection is on); the server sees close 1001, which keeps a
     * resumable seat. Needs the `droppable` option (throws a `TypeError` without it).
     */
    drop(): void;
    /** Closes the connection for good (no reconnection) and resolves with how it ended (code 1000 or 3000-4999). */
    close(code?: number, reason?: string): Promise<CloseInfo>;
}
