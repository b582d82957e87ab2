/**
 * Handshake and server-information commands. The values mimic a MongoDB 7.0
 * standalone so the Node driver (which needs wire version ≥ 9) and mongoose
 * enable sessions and modern command forms. We deliberately omit
 * `topologyVersion` (no streaming heartbeats) and `compression`.
 */
import { UUID, type Document } from 'bson';
import { MAX_MESSAGE_BYTES } from '../wire-protocol.ts';
import type { CommandContext, CommandHandler } from './context.ts';

/** MongoDB 7.0's wire version. */
export const MAX_WIRE_VERSION = 21;
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;

function helloReply(ctx: CommandContext, legacy: boolean): Document {
  return {
    helloOk: true,
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_BYTES,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
  };
}

const versionArray = (v: string): number[] => [...v.split('-')[0]!.split('.').map(Number), 0].slice(0, 4);

/** Handlers keyed by command name. */
export const handshakeCommands: Record<string, CommandHandler> = {
  hello: (_cmd, ctx) => helloReply(ctx, false),
  isMaster: (_cmd, ctx) => helloReply(ctx, true),
  ismaster: (_cmd, ctx) => helloReply(ctx, true),
  ping: () => ({}),
  buildInfo: (_cmd, ctx) => ({
    version: ctx.server.version,
    gitVersion: 'embedded',
    versionArray: versionArray(ctx.server.version),
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ['embedded'],
    javascriptEngine: 'none',
    modules: [],
  }),
  hostInfo: (_cmd, ctx) => ({
    system: { currentTime: new Date(), hostname: ctx.server.host, cpuAddrSize: 64, numCores: 1 },
    os: { type: process.platform, name: process.platform },
    extra: {},
  }),
  getParameter: (cmd) => {
    // Answer the handful of parameters tools commonly probe; others are unknown.
    const known: Document = { featureCompatibilityVersion: { version: '7.0' }, authenticationMechanisms: [] };
    if (cmd.getParameter === '*') return known;
    const out: Document = {};
    for (const name of Object.keys(cmd)) if (name in known) out[name] = known[name];
    return out;
  },
  getCmdLineOpts: (_cmd, ctx) => ({ argv: ['embedded-mongo'], parsed: { storage: { dbPath: ctx.server.dataDir } } }),
  serverStatus: (_cmd, ctx) => {
    const uptimeMs = Date.now() - ctx.server.startedAt.getTime();
    return {
      host: `${ctx.server.host}:${ctx.server.port}`,
      version: ctx.server.version,
      process: 'embedded-mongo',
      pid: process.pid,
      uptime: Math.floor(uptimeMs / 1000),
      uptimeMillis: uptimeMs,
      localTime: new Date(),
      connections: { current: ctx.server.connectionCount(), available: 1_000_000 },
      metrics: { cursor: { open: { total: ctx.cursors.openCount } } },
      mem: { bits: 64, resident: Math.round(process.memoryUsage().rss / 1048576) },
    };
  },
  whatsmyuri: (_cmd, ctx) => ({ you: ctx.peer }),
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] } }),
  startSession: () => ({ id: { id: new UUID() }, timeoutMinutes: 30 }),
  // Sessions carry no server state here (no transactions), so these are no-ops.
  endSessions: () => ({}),
  refreshSessions: () => ({}),
  killSessions: () => ({}),
  killAllSessions: () => ({}),
  killAllSessionsByPattern: () => ({}),
};
