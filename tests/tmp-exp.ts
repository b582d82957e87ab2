import { startEmbeddedMongo } from '@activity-hub/embedded-mongo';
import { MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
const e = await startEmbeddedMongo({ port: 0, dataDir: ':memory:' });
const c = new MongoClient(e.url);
await c.connect();
const col = c.db('x').collection<any>('pageviews');
await col.createIndex({ agencyId: 1, startedAt: -1, _id: -1 });
await col.createIndex({ agencyId: 1, locationId: 1, startedAt: -1 });
await col.createIndex({ agencyId: 1, userId: 1, startedAt: -1 });
await col.createIndex({ endedAt: 1, aliveAt: 1 });
await col.createIndex({ updatedAt: 1 });
const base = Date.UTC(2026, 0, 1);
for (let b = 0; b < 20; b++) {
  const docs = Array.from({ length: 5000 }, (_, i) => { const st = new Date(base + (b*5000+i)*1000); return { _id: `big:${b}-${i}`, id: randomUUID(), sessionId: randomUUID(), userId: 'u' + (i % 50), agencyId: 'big', locationId: 'loc-1', url: 'https://app.example.com/contacts', path: '/contacts', title: 'contacts', referrer: '', startedAt: st, endedAt: st, aliveAt: st, lastSeenAt: st, updatedAt: st, engagedMs: 1000, endReason: 'navigate', seqFloor: -1 }});
  await col.insertMany(docs);
}
console.log('inserted');
let s = performance.now();
const cur = col.find({ agencyId: 'big' }, { sort: { startedAt: 1 }, projection: { seqFloor: 0, seqs: 0, aliveAt: 0 }, batchSize: 5000 });
await cur.hasNext();
console.log('first batch', Math.round(performance.now() - s)); s = performance.now();
let n = 0;
for await (const d of cur) { n++; if (n % 5000 === 0) { console.log('batch', n, Math.round(performance.now() - s)); s = performance.now(); } }
await c.close(); await e.close();
