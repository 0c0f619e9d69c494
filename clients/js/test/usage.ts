// A typed use of every export and event of the package, compiled (never run) by `npm run check` with strict
// settings. The package is imported by its own name, through package.json `exports`, as a user would.
// Each `@ts-expect-error` line must fail to compile: a declaration that became too loose (`any`) fails the check.
import {
    API_PATH,
    PROTOCOL_VERSION,
    RelayApi,
    RelayApiError,
    RelayClient,
    RelayRealtimeError,
    WEBSOCKET_PATH,
    webSocketUrl,
    type BinaryMessage,
    type ClientInfo,
    type CloseInfo,
    type ConnectedMessage,
    type ResumedMessage,
    type ResumeFailedDetail,
    type CreatedRoom,
    type JoinDetails,
    type JsonValue,
    type RelayClientEventMap,
    type RelayClientState,
    type Room,
    type RoomPage,
    type ServerMessage,
    type Summary,
    type TokenJoinDetails,
} from '@relay-server/client';

const version: 1 = PROTOCOL_VERSION;
const paths: string[] = [WEBSOCKET_PATH, API_PATH, webSocketUrl('https://relay.example.com'), webSocketUrl()];

export async function backend(): Promise<void> {
    const api = new RelayApi({ baseUrl: 'https://relay.example.com', apiKey: 'a-long-random-key-0123456789' });
    const room: CreatedRoom = await api.createRoom({ protocol: 'host', maxClients: 4, metadata: { map: 'harbor' } });
    const secret: string = room.secret;
    const hostSecret: string = room.hostSecret;
    const page: RoomPage = await api.listRooms({ offset: 0, limit: 50 });
    const first: Room | undefined = page.items[0];
    const roomRelayed: number | undefined = first?.messagesRelayed;
    const read = await api.getRoom(room.id);
    const connectedAt: string | undefined = read.clients[0]?.connectedAt;
    const listedUser: string | undefined = read.clients[0]?.userId;
    await api.updateRoom(room.id, { locked: true, maxClients: 8, metadata: { round: 2 } });
    const pushed: number = (await api.pushMessage(room.id, { notice: 'round starts' }, { to: [2] })).recipients;
    await api.kickClient(room.id, 2);
    const summary: Summary = await api.getSummary();
    const relayed: number = summary.messagesRelayed + summary.roomsByProtocol['mesh']!;
    await api.deleteRoom(room.id);
    const base: string = api.baseUrl;
    void [secret, hostSecret, first, roomRelayed, connectedAt, listedUser, pushed, relayed, base];

    try {
        await api.getRoom('missing');
    } catch (error) {
        if (error instanceof RelayApiError) {
            const status: number = error.status;
            const title: string = error.title;
            const fields: string[] | undefined = error.errors?.['maxClients'];
            const detail: string | undefined = error.detail;
            const trace: string | undefined = error.traceId;
            const type: string | undefined = error.type;
            const problem = error.problem;
            void [status, title, fields, detail, trace, type, problem];
        }
    }

    // @ts-expect-error protocol is 'mesh' or 'host'
    await api.createRoom({ protocol: 'star' });
    // @ts-expect-error metadata is a JSON object
    await api.createRoom({ metadata: 'text' });
    // @ts-expect-error a client id is a number
    await api.kickClient(room.id, '2');
    // @ts-expect-error pushMessage needs data
    await api.pushMessage(room.id);
}

/** Joining with a client token minted by the backend: no room id or secret in the page. */
export async function withToken(token: string): Promise<void> {
    const byToken: TokenJoinDetails = { token, name: 'carol' };
    const join: JoinDetails = byToken;
    const client = new RelayClient({ reconnect: true });
    const connected: ConnectedMessage = await client.connect(join);
    const users: (string | undefined)[] = connected.clients.map((c) => c.userId);
    const mine: string | undefined = client.clients.find((c) => c.clientId === client.clientId)?.userId;
    const other = await RelayClient.connect({ token, baseUrl: 'https://relay.example.com', reconnect: true });
    void [users, mine, other];
}

export async function realtime(roomId: string, secret: string): Promise<void> {
    const client = new RelayClient({
        baseUrl: 'https://relay.example.com',
        reconnect: { initialDelayMs: 250, maxDelayMs: 10_000, factor: 2, jitter: 0.5, maxAttempts: Infinity },
        joinTimeoutMs: 5000,
    });
    const other = new RelayClient({ url: 'wss://relay.example.com/v1/websocket', reconnect: true, WebSocket });
    const droppable = new RelayClient({ reconnect: true, resume: true, droppable: true });
    const fresh = new RelayClient({ reconnect: true, resume: false });
    const resumeState: [boolean, boolean, number] = [droppable.resume, droppable.resumable, droppable.lastSeq];
    droppable.drop();
    void [fresh, resumeState];
    const joined = await RelayClient.connect({ roomId, secret, name: 'bob', baseUrl: 'https://relay.example.com' });

    // Every event, with the type of its detail.
    client.on('connected', (m) => {
        const id: number = m.clientId;
        const host: number | null = m.hostId;
        const everyone: ClientInfo[] = m.clients;
        const protocol: 'mesh' | 'host' = m.protocol;
        const token: string | undefined = m.resumeToken;
        const seq: number | undefined = m.seq;
        void [id, host, everyone, protocol, m.metadata, m.isHost, m.ref, token, seq];
    });
    client.on('client_joined', ({ clientId, name, userId }) => void [clientId.toFixed(), name?.toUpperCase(), userId?.toUpperCase()]);
    client.on('client_left', ({ clientId, reason }) => {
        const why: 'left' | 'disconnected' | 'kicked' | 'timeout' = reason;
        void [clientId, why];
    });
    client.on('host_changed', ({ hostId }) => void hostId);
    client.on('message', ({ from, data }) => {
        const sender: number = from;
        const value: JsonValue = data;
        void [sender, value];
    });
    client.on('kicked', ({ reason }) => void reason.length);
    client.on('room_closed', ({ reason, message }) => {
        const why: 'closed_by_host' | 'deleted' | 'host_left' | 'expired' | 'shutdown' = reason;
        void [why, message];
    });
    client.on('left', (m) => void m.ref);
    client.on('pong', (m) => void m.ref);
    client.on('error', ({ code, message, ref }) => void [code, message, ref]);
    client.on('servermessage', (m: ServerMessage) => {
        if (m.type === 'message') void m.data;
        else if (m.type === 'error') void m.code;
    });
    client.on('binary', (m: BinaryMessage) => void m.data.byteLength);
    client.on('close', (info: CloseInfo) => void [info.code, info.reason, info.wasClean, info.willReconnect]);
    client.on('reconnecting', ({ attempt, delayMs }) => void (attempt * delayMs));
    client.on('reconnected', ({ connected, attempts, previousClientId, resumed }) => void [connected.clientId, attempts, previousClientId, resumed]);
    client.on('resumed', (m: ResumedMessage) => {
        const token: string = m.resumeToken;
        const counts: number[] = [m.seq, m.missed, m.clientId];
        const away: (true | undefined)[] = m.clients.map((c) => c.away);
        void [token, counts, away];
    });
    client.on('resumefailed', (f: ResumeFailedDetail) => {
        const counts: (number | null)[] = [f.lastSeq, f.previousClientId];
        void [f.code, f.reason.length, counts];
    });
    client.on('client_away', ({ clientId, seq }) => void [clientId.toFixed(), seq.toFixed()]);
    client.on('client_back', ({ clientId, seq }) => void [clientId.toFixed(), seq.toFixed()]);
    client.on('message', ({ seq }) => void seq?.toFixed());
    client.on('binary', ({ seq }) => void seq?.toFixed());
    const stop = client.on('statechange', ({ state }) => {
        const s: RelayClientState = state;
        void s;
    });
    stop();
    const onMessage = (detail: RelayClientEventMap['message'], event: CustomEvent<RelayClientEventMap['message']>) =>
        void [detail.from, event.detail.data];
    client.on('message', onMessage);
    client.off('message', onMessage);
    client.addEventListener('client_joined', (event) => void event.detail.clientId);
    client.addEventListener('some-other-event', () => undefined);

    const connected: ConnectedMessage = await client.connect({ roomId, secret, name: 'alice' });
    client.broadcast({ text: 'hi' }, { ref: 'm-1' });
    client.broadcast(null);
    client.send(2, [1, 2, 3]);
    client.send([2, 3], { move: 'e2e4' }, { ref: 7 });
    client.broadcastBinary(new Uint8Array([1, 2]));
    client.sendBinary(2, new ArrayBuffer(4));
    if (client.isHost) {
        client.kick(2, 'spamming');
        client.transferHost(3);
        client.closeRoom('game over');
    }
    const rtt: number = await client.ping({ timeoutMs: 2000 });
    await client.leave();
    const info: CloseInfo = await client.close(1000, 'bye');
    const closed: CloseInfo = await client.closed;
    const state: RelayClientState = client.state;
    const ids: (number | null)[] = [client.clientId, client.hostId, client.closeCode];
    const texts: (string | null)[] = [client.url, client.roomId, client.protocol, client.closeReason];
    const members: ClientInfo[] = client.clients;
    void [connected, rtt, info, closed, state, ids, texts, members, client.metadata, client.closeInfo, other, joined];

    try {
        await client.connect({ roomId, secret });
    } catch (error) {
        if (error instanceof RelayRealtimeError) {
            const code: string = error.code;
            const close: CloseInfo | undefined = error.close;
            void [code, error.ref, close];
        }
    }

    // @ts-expect-error not an event of RelayClient
    client.on('messages', () => undefined);
    // @ts-expect-error a `message` detail has no `text`
    client.on('message', (m) => void m.text);
    // @ts-expect-error client_left reasons are a closed set
    client.on('client_left', (m) => m.reason === 'vanished');
    // @ts-expect-error binary data is a Uint8Array, not a string
    client.on('binary', (m) => void m.data.toUpperCase());
    // @ts-expect-error connect needs a secret
    await client.connect({ roomId });
    // @ts-expect-error a token names the room: not both
    await client.connect({ roomId, secret, token: 'jwt' });
    // @ts-expect-error a token is a string
    await client.connect({ token: 42 });
    // @ts-expect-error data must be a JSON value
    client.broadcast(() => 1);
    // @ts-expect-error sendBinary takes one client id
    client.sendBinary([2], new Uint8Array(1));
    // @ts-expect-error state is read-only
    client.state = 'idle';
    // @ts-expect-error lastSeq is read-only
    client.lastSeq = 0;
    // @ts-expect-error resume is a boolean
    void new RelayClient({ resume: 'yes' });
    // @ts-expect-error a resumefailed detail has no `error`
    client.on('resumefailed', (f) => void f.error);
    // @ts-expect-error the resume token is never exposed
    void client.resumeToken;
    // @ts-expect-error the secret is never exposed
    void client.secret;
}

void [version, paths];
