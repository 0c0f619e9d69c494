'use strict';
// Baseline for the Relay benchmark (issue 5): a minimal room relay on Node's http module and the `ws`
// package, written the way a Node developer would, speaking the subset of Relay's wire contract
// (shared PROTOCOL.md) that the load generator uses, so its Relay target drives this server unchanged:
//
//   POST /v1/api/rooms {maxClients?}      -> 201 {id, secret, hostSecret, maxClients}
//   GET  /healthz                         -> 200 ok
//   WS   /v1/websocket
//     text {"type":"connect","roomId","secret","name?"} -> connected (+ client_joined to the others)
//     text {"type":"broadcast","data":...}               -> {"type":"message","from":id,"data":...} to the others
//     text {"type":"ping"}                               -> pong
//     binary 0x00 + payload                              -> 4-byte big-endian sender id + payload to the others
//     binary 0x01 + 4-byte id + payload                  -> same frame to that one client
//
// Outgoing text messages are built the way a typical Node relay does it: JSON.parse the frame, then
// JSON.stringify a new envelope around the parsed `data` (so `data` is re-serialized, not relayed byte for
// byte: whitespace is dropped and numbers beyond 2^53 lose precision). Each outgoing frame is built once per
// broadcast and the same Buffer is handed to every recipient.
//
// Usage: node server.js --port 5100 [--host 127.0.0.1]

const http = require('node:http');
const crypto = require('node:crypto');
const { WebSocketServer, WebSocket } = require('ws');

function arg(name, fallback) {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg('port', process.env.PORT || 5100));
const host = arg('host', '127.0.0.1');
const MAX_MESSAGE_BYTES = 64 * 1024; // Relay:MaxMessageBytes default
const MAX_CLIENTS_CAP = 1000; // Relay:MaxClientsCap default
const MAX_BUFFERED_BYTES = 1024 * 1024; // Relay:SendQueue:MaxBytes default: slow consumers are closed with 4004

/** @type {Map<string, {id: string, secret: string, hostSecret: string, maxClients: number, nextClientId: number, hostId: number|null, clients: Map<number, WebSocket>}>} */
const rooms = new Map();

const randomId = (bytes) => crypto.randomBytes(bytes).toString('base64url');

function sendJson(res, status, body, headers) {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
}

const server = http.createServer((req, res) => {
    const path = req.url.split('?', 1)[0];
    if (req.method === 'GET' && path === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
        return;
    }
    if (req.method === 'POST' && path === '/v1/api/rooms') {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            let body = {};
            try {
                if (chunks.length > 0) body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
                sendJson(res, 400, { title: 'invalid JSON' });
                return;
            }
            const maxClients = body && body.maxClients !== undefined ? body.maxClients : 16;
            if (!Number.isInteger(maxClients) || maxClients < 1 || maxClients > MAX_CLIENTS_CAP) {
                sendJson(res, 400, { title: 'validation failed', errors: { maxClients: [`must be 1..${MAX_CLIENTS_CAP}`] } });
                return;
            }
            const room = {
                id: randomId(12),
                secret: randomId(18),
                hostSecret: randomId(18),
                maxClients,
                nextClientId: 1,
                hostId: null,
                clients: new Map(),
            };
            rooms.set(room.id, room);
            sendJson(res, 201, { id: room.id, secret: room.secret, hostSecret: room.hostSecret, protocol: 'mesh', maxClients },
                { Location: `/v1/api/rooms/${room.id}` });
        });
        return;
    }
    res.writeHead(404);
    res.end();
});

const wss = new WebSocketServer({
    server,
    path: '/v1/websocket',
    perMessageDeflate: false,
    maxPayload: MAX_MESSAGE_BYTES,
    clientTracking: false,
});

function error(ws, code, message, ref) {
    const e = { type: 'error', code, message };
    if (ref !== undefined) e.ref = ref;
    ws.send(JSON.stringify(e));
}

/** Sends one prebuilt frame to every client of the room except the sender. */
function fanOut(room, fromId, frame, binary) {
    for (const [id, peer] of room.clients) {
        if (id === fromId) continue;
        deliver(peer, frame, binary);
    }
}

function deliver(peer, frame, binary) {
    if (peer.readyState !== WebSocket.OPEN) return;
    if (peer.bufferedAmount > MAX_BUFFERED_BYTES) {
        peer.close(4004, 'slow consumer');
        return;
    }
    peer.send(frame, { binary });
}

function connect(ws, msg) {
    if (ws.room) return error(ws, 'already_connected', 'already in a room', msg.ref);
    if (typeof msg.roomId !== 'string' || typeof msg.secret !== 'string') {
        return error(ws, 'bad_request', 'roomId and secret are required strings', msg.ref);
    }
    const room = rooms.get(msg.roomId);
    if (!room) return error(ws, 'room_not_found', 'no such room', msg.ref);
    const asHost = msg.secret === room.hostSecret;
    if (!asHost && msg.secret !== room.secret) return error(ws, 'invalid_secret', 'invalid secret', msg.ref);
    if (room.clients.size >= room.maxClients) return error(ws, 'room_full', 'room is full', msg.ref);

    const clientId = room.nextClientId++;
    const name = typeof msg.name === 'string' ? msg.name : '';
    if (asHost || room.hostId === null) room.hostId = clientId;
    ws.room = room;
    ws.clientId = clientId;
    ws.name = name;
    room.clients.set(clientId, ws);

    const clients = [];
    for (const [id, peer] of room.clients) clients.push({ clientId: id, name: peer.name, isHost: id === room.hostId });
    const reply = {
        type: 'connected',
        roomId: room.id,
        clientId,
        hostId: room.hostId,
        isHost: room.hostId === clientId,
        protocol: 'mesh',
        metadata: {},
        clients,
    };
    if (msg.ref !== undefined) reply.ref = msg.ref;
    ws.send(JSON.stringify(reply));
    fanOut(room, clientId, Buffer.from(JSON.stringify({ type: 'client_joined', clientId, name })), false);
}

function leave(ws, reason) {
    const room = ws.room;
    if (!room) return;
    ws.room = null;
    room.clients.delete(ws.clientId);
    fanOut(room, 0, Buffer.from(JSON.stringify({ type: 'client_left', clientId: ws.clientId, reason })), false);
    if (room.hostId === ws.clientId) {
        // mesh + hostAssignment "first": the longest-connected client (Map keeps join order) becomes host.
        const next = room.clients.keys().next();
        room.hostId = next.done ? null : next.value;
        fanOut(room, 0, Buffer.from(JSON.stringify({ type: 'host_changed', hostId: room.hostId })), false);
    }
}

function onText(ws, data) {
    let msg;
    try {
        msg = JSON.parse(data);
    } catch {
        return error(ws, 'bad_request', 'not JSON');
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return error(ws, 'bad_request', 'not a JSON object');
    switch (msg.type) {
        case 'broadcast': {
            if (!ws.room) return error(ws, 'not_connected', 'connect first', msg.ref);
            if (msg.data === undefined) return error(ws, 'bad_request', 'data is required', msg.ref);
            const frame = Buffer.from(JSON.stringify({ type: 'message', from: ws.clientId, data: msg.data }));
            return fanOut(ws.room, ws.clientId, frame, false);
        }
        case 'connect':
            return connect(ws, msg);
        case 'ping':
            return ws.send(msg.ref !== undefined ? JSON.stringify({ type: 'pong', ref: msg.ref }) : '{"type":"pong"}');
        case 'leave': {
            if (!ws.room) return error(ws, 'not_connected', 'connect first', msg.ref);
            leave(ws, 'left');
            return ws.send(msg.ref !== undefined ? JSON.stringify({ type: 'left', ref: msg.ref }) : '{"type":"left"}');
        }
        default:
            return error(ws, 'unknown_type', 'unknown or unsupported type', msg.ref);
    }
}

function onBinary(ws, data) {
    if (!ws.room) return error(ws, 'not_connected', 'connect first');
    if (data.length < 1) return error(ws, 'bad_request', 'empty binary frame');
    const op = data[0];
    if (op === 0x00) {
        const frame = Buffer.allocUnsafe(4 + data.length - 1);
        frame.writeUInt32BE(ws.clientId, 0);
        data.copy(frame, 4, 1);
        return fanOut(ws.room, ws.clientId, frame, true);
    }
    if (op === 0x01) {
        if (data.length < 5) return error(ws, 'bad_request', 'missing target client id');
        const peer = ws.room.clients.get(data.readUInt32BE(1));
        if (!peer) return error(ws, 'unknown_client', 'no such client');
        const frame = Buffer.allocUnsafe(4 + data.length - 5);
        frame.writeUInt32BE(ws.clientId, 0);
        data.copy(frame, 4, 5);
        return deliver(peer, frame, true);
    }
    return error(ws, 'bad_request', 'unknown binary operation');
}

wss.on('connection', (ws) => {
    ws.room = null;
    ws.clientId = 0;
    ws.name = '';
    ws.on('message', (data, isBinary) => (isBinary ? onBinary(ws, data) : onText(ws, data)));
    ws.on('close', () => leave(ws, 'disconnected'));
    ws.on('error', () => {});
});

server.listen(port, host, () => {
    console.log(`node-ws relay listening on http://${host}:${port}`);
});

function shutdown() {
    wss.close();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
