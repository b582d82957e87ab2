/**
 * The baseline: bare socket.io on the same load. `/track` acks every event and emits it to the
 * agency's room on `/live`, where each dashboard joins its agency's room. No auth checks, no
 * storage. Usage: node bare-server.mjs <port>
 */
import { Server } from 'socket.io';

const io = new Server(Number(process.argv[2]), { transports: ['websocket'], serveClient: false });
const live = io.of('/live');
live.on('connection', (s) => void s.join(String(s.handshake.auth.agency)));
io.of('/track').on('connection', (s) => {
  const room = String(s.handshake.auth.agency);
  s.emit('settings', {});
  s.on('event', (e, ack) => {
    ack({ ok: true });
    live.to(room).emit('feed', e);
  });
});
process.on('SIGTERM', () => io.close(() => process.exit(0)));
