import type { DefaultEventsMap, Namespace, Socket } from 'socket.io';
import type {
  DeviceClass,
  Goodbye,
  LiveClientToServerEvents,
  LiveServerToClientEvents,
  TrackClientToServerEvents,
  TrackServerToClientEvents,
} from '@activity-hub/protocol';
import type { Claims } from '../domain/identity.ts';

/**
 * The hub's two namespaces, typed by the protocol's event maps: emitting an event the map does
 * not name, or a payload of the wrong shape, fails typecheck. socket.io types a namespace by
 * its server's maps, and the hub's one server serves two namespaces with different maps: so
 * the server keeps socket.io's defaults, and `io.of()` is assigned to these types (the way
 * socket.io documents it; no cast). No server-side events are used (`serverSideEmit`).
 */

/** What a verified socket carries in `socket.data`. */
export interface SocketData {
  claims: Claims;
}

/** `socket.data` once the connection started (connection-start.ts): the user's budget key, computed once. */
export interface LimitedSocketData extends SocketData {
  limitKey: string;
  /** Refusals in a row. */
  refusals: number;
}

/** What a `/track` socket carries: its identity plus what its events need. */
export interface TrackData extends LimitedSocketData {
  userAgent: string;
  device: DeviceClass;
}

export type TrackNamespace = Namespace<
  TrackClientToServerEvents,
  TrackServerToClientEvents,
  DefaultEventsMap,
  TrackData
>;
export type TrackSocket = Socket<TrackClientToServerEvents, TrackServerToClientEvents, DefaultEventsMap, TrackData>;

export type LiveNamespace = Namespace<
  LiveClientToServerEvents,
  LiveServerToClientEvents,
  DefaultEventsMap,
  LimitedSocketData
>;
export type LiveSocket = Socket<
  LiveClientToServerEvents,
  LiveServerToClientEvents,
  DefaultEventsMap,
  LimitedSocketData
>;

/**
 * What the code shared by both namespaces needs of a socket: a `/track` and a `/live` socket
 * are both one. Each handler named here is one function shared by every socket (socket.io
 * calls it with `this` bound to the socket), typed for what a client may really send.
 */
export interface HubSocket {
  readonly id: string;
  readonly data: LimitedSocketData;
  readonly connected: boolean;
  emit(ev: 'bye', bye: Goodbye): boolean;
  disconnect(close?: boolean): unknown;
  onAny(listener: (this: HubSocket, event: string) => void): unknown;
  on(ev: 'auth', listener: (this: HubSocket, token: unknown, ack: unknown) => void): unknown;
  on(ev: 'disconnect', listener: (this: HubSocket, reason: string) => void): unknown;
}
