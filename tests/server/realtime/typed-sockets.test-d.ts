/**
 * Type-level test of the realtime layer's socket types: checked by `tsc -b` (tests/tsconfig.json
 * includes every .ts file here) and never run. Each `@ts-expect-error` line must fail to
 * typecheck, or the directive itself is an error: if the publisher or a namespace accepted any
 * event name or payload again, `npm run typecheck` would fail. The lines without a directive
 * show the same calls pass when the name and payload are right.
 */
import type { FeedItem, Goodbye, PresenceEntry, PresenceRemoval, TrackerSettings } from '@activity-hub/protocol';
import type { registerLiveNamespace } from '../../../server/src/realtime/live-namespace.ts';
import type { RoomPublisher } from '../../../server/src/realtime/live-publisher.ts';
import type { HubSocket } from '../../../server/src/realtime/socket-types.ts';
import type { registerTrackNamespace } from '../../../server/src/realtime/track-namespace.ts';

// The namespaces as registered, and the one the publisher is built with.
declare const live: ReturnType<typeof registerLiveNamespace>;
declare const track: ReturnType<typeof registerTrackNamespace>;
declare const publishedTo: ConstructorParameters<typeof RoomPublisher>[0];
declare const entry: PresenceEntry;
declare const removal: PresenceRemoval;
declare const item: FeedItem;
declare const settings: TrackerSettings;
declare const bye: Goodbye;

// The publisher emits on the namespace it is built with, where each event's name and payload
// are checked against the protocol's map (a plain `Namespace` would take anything).
const published = publishedTo.to('agency:a');
published.emit('upsert', entry);
published.emit('remove', removal);
published.emit('feed', item);
// @ts-expect-error: misspelt event name
published.emit('upsrt', entry);
// @ts-expect-error: a feed item is not a presence entry
published.emit('upsert', item);
// @ts-expect-error: a presence entry is not a feed line
published.emit('feed', entry);
// @ts-expect-error: `settings` is a /track event
published.emit('settings', settings);
live.to(['agency:a', 'user:a:u']).emit('upsert', entry);
// @ts-expect-error: misspelt event name
live.to(['agency:a', 'user:a:u']).emit('upsrt', entry);
// @ts-expect-error: `settings` is a /track event
live.emit('settings', settings);

// /track emits settings and goodbyes, nothing of /live's.
track.emit('bye', bye);
// @ts-expect-error: `snapshot` is a /live event
track.emit('snapshot', { entries: [], serverTime: 0 });

track.on('connection', (socket) => {
  socket.emit('settings', settings);
  // @ts-expect-error: settings without their fields
  socket.emit('settings', { heartbeatIntervalMs: 1 });
  // @ts-expect-error: a goodbye's code is one of the protocol's
  socket.emit('bye', { code: 'nope', message: 'x', reconnect: false });
  // What a socket listens for is the client's map: an unknown name or a wrong payload fails.
  socket.on('event', (e) => void e.type);
  // @ts-expect-error: misspelt event name
  socket.on('evnt', () => {});
  // @ts-expect-error: `sync` is a /live event
  socket.on('sync', () => {});
  // @ts-expect-error: an event is an object, not a number
  socket.on('event', (e: number) => void e);
  // `socket.data` is typed per namespace.
  void socket.data.device;
  // Both namespaces' sockets are ones the shared connection code (connection-start.ts) starts.
  const started: HubSocket = socket;
  void started;
});

live.on('connection', (socket) => {
  socket.emit('snapshot', { entries: [entry], serverTime: 0 });
  // @ts-expect-error: a /live socket is sent no settings
  socket.emit('settings', settings);
  socket.on('sync', (ack) => ack({ ok: true, data: { entries: [], serverTime: 0 } }));
  // @ts-expect-error: a sync reply carries a snapshot
  socket.on('sync', (ack) => ack({ ok: true, data: 1 }));
  // @ts-expect-error: /live sockets carry identity and budgets, no device class
  void socket.data.device;
  const started: HubSocket = socket;
  void started;
});
