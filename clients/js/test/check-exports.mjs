// Checks that relay.d.ts declares exactly what relay.js exports: the same exported values, and for each class the
// same public members (prototype methods and accessors, static members, and the fields its constructor sets).
// Run by `npm run check` (after `npm ci`, for the `typescript` dev dependency). Prints a summary; exits 1 on a mismatch.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const runtime = await import('../relay.js');

/** Arguments that construct each class without touching the network. */
const samples = {
    RelayApiError: () => [400, { title: 'Bad Request', errors: { maxClients: ['too big'] } }],
    RelayRealtimeError: () => ['timeout', 'no answer'],
    RelayApi: () => [{ baseUrl: 'http://127.0.0.1:1', fetch: async () => new Response('') }],
    RelayClient: () => [{ url: 'ws://127.0.0.1:1/v1/websocket', WebSocket: class {} }],
};

const source = ts.createSourceFile('relay.d.ts', readFileSync(here('../relay.d.ts'), 'utf8'), ts.ScriptTarget.Latest, true);
const exported = (node) => ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false;
const isStatic = (node) => ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword) ?? false;

/** Declared value exports (name -> set of `instance:` / `static:` member names for classes, or null). */
const declared = new Map();
for (const statement of source.statements) {
    if (!exported(statement)) continue;
    if (ts.isVariableStatement(statement)) {
        for (const d of statement.declarationList.declarations) declared.set(d.name.getText(source), null);
    } else if (ts.isFunctionDeclaration(statement) && statement.name) {
        declared.set(statement.name.text, null);
    } else if (ts.isClassDeclaration(statement) && statement.name) {
        const members = new Set();
        for (const member of statement.members) {
            if (ts.isConstructorDeclaration(member) || !member.name) continue;
            members.add(`${isStatic(member) ? 'static' : 'instance'}:${member.name.getText(source)}`);
        }
        declared.set(statement.name.text, members);
    }
}

/** The public members of a runtime class: own prototype names, static names and enumerable instance fields. */
function runtimeMembers(name, cls) {
    const members = new Set();
    for (const key of Object.getOwnPropertyNames(cls.prototype)) {
        if (key !== 'constructor') members.add(`instance:${key}`);
    }
    for (const key of Object.getOwnPropertyNames(cls)) {
        if (!['length', 'name', 'prototype'].includes(key)) members.add(`static:${key}`);
    }
    const sample = samples[name];
    if (!sample) throw new Error(`check-exports.mjs: add sample constructor arguments for class ${name}`);
    for (const key of Object.keys(new cls(...sample()))) members.add(`instance:${key}`);
    return members;
}

/** True when an instance member declared for typing only (e.g. an overload of EventTarget's) exists on a base class. */
function inherited(cls, member) {
    const [kind, key] = member.split(':');
    return kind === 'instance' && key in Object.getPrototypeOf(cls.prototype);
}

const problems = [];
const runtimeNames = Object.keys(runtime).sort();
for (const name of runtimeNames) {
    if (!declared.has(name)) problems.push(`relay.js exports ${name}, relay.d.ts does not declare it`);
}
for (const name of declared.keys()) {
    if (!(name in runtime)) problems.push(`relay.d.ts declares ${name}, relay.js does not export it`);
}
let memberCount = 0;
for (const [name, members] of declared) {
    const value = runtime[name];
    if (members === null || typeof value !== 'function') {
        if (members !== null) problems.push(`relay.d.ts declares class ${name}, relay.js exports a ${typeof value}`);
        continue;
    }
    const actual = runtimeMembers(name, value);
    for (const member of actual) {
        if (!members.has(member)) problems.push(`${name}: relay.js has ${member}, relay.d.ts does not declare it`);
    }
    for (const member of members) {
        if (!actual.has(member) && !inherited(value, member)) problems.push(`${name}: relay.d.ts declares ${member}, relay.js has no such member`);
    }
    memberCount += members.size;
}

if (problems.length > 0) {
    console.error(`relay.d.ts does not match relay.js:\n  ${problems.join('\n  ')}`);
    process.exit(1);
}
console.log(`relay.d.ts matches relay.js: ${runtimeNames.length} exports (${runtimeNames.join(', ')}), ${memberCount} class members`);
