// Bundles the tracker into one readable-when-formatted IIFE (dist/tracker.js) and enforces the
// 16 KB gzip budget: exits 1 when over, always prints the figures.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
// `--outdir <dir>` builds elsewhere (tests build into a temporary directory).
const outIndex = process.argv.indexOf('--outdir');
const outDir = outIndex > 0 ? process.argv[outIndex + 1] : join(here, 'dist');
const out = join(outDir, 'tracker.js');
const BUDGET = 16 * 1024;

// socket.io-client bundles code the tracker can never run; each module below becomes a stub.
// - WebTransport: the tracker asks for websocket and polling only.
// - Binary support: every packet the tracker sends or receives is JSON text (events, acks,
//   settings, bye), so socket.io-parser's binary (de)construction and engine.io-parser's
//   base64 decoding of binary frames are unreachable. A binary frame from the hub would close
//   the connection with a parse error, and the tracker would reconnect.
// - Reconnection backoff: the tracker reconnects by itself (`reconnection: false`), so the
//   manager only ever resets its Backoff (and sets its bounds); `duration()` is never called.
// Together these save about 1.2 KB of gzip.
const STUBS = [
  [/engine\.io-client[\\/]build[\\/]esm[\\/]transports[\\/]webtransport\.js$/, 'export const WT = undefined;'],
  [
    /socket\.io-parser[\\/]build[\\/]esm[\\/]is-binary\.js$/,
    'export const isBinary = () => false, hasBinary = () => false;',
  ],
  [
    /socket\.io-parser[\\/]build[\\/]esm[\\/]binary\.js$/,
    'const no = () => { throw new Error("binary"); }; export { no as deconstructPacket, no as reconstructPacket };',
  ],
  [
    /socket\.io-client[\\/]build[\\/]esm[\\/]contrib[\\/]backo2\.js$/,
    'export function Backoff() {} Backoff.prototype.reset = Backoff.prototype.setMin = Backoff.prototype.setMax = Backoff.prototype.setJitter = () => {};',
  ],
  [
    /engine\.io-parser[\\/]build[\\/]esm[\\/]contrib[\\/]base64-arraybuffer\.js$/,
    'export const decode = () => { throw new Error("binary"); }, encode = decode;',
  ],
];
const stubs = {
  name: 'stubs',
  setup(b) {
    for (const [filter, contents] of STUBS) b.onLoad({ filter }, () => ({ contents, loader: 'js' }));
  },
};

mkdirSync(dirname(out), { recursive: true });
const result = await build({
  entryPoints: [join(here, 'src', 'index.ts')],
  outfile: out,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2019',
  minify: true,
  legalComments: 'none',
  // For reviewers: dist/tracker.js.map maps the bundle back to the readable sources.
  sourcemap: 'external',
  plugins: [stubs],
  logLevel: 'warning',
  metafile: true,
});
const inputs = Object.keys(result.metafile.inputs);
for (const [filter] of STUBS) {
  if (!inputs.some((f) => filter.test(f))) {
    console.error(`stub ${filter} matched no module: check the socket.io-client version`);
    process.exit(1);
  }
}

const code = readFileSync(out);
const bytes = code.length;
const gzipBytes = gzipSync(code, { level: 9 }).length;
writeFileSync(join(outDir, 'tracker.meta.json'), JSON.stringify({ bytes, gzipBytes, budget: BUDGET }, null, 2) + '\n');
const kb = (n) => (n / 1024).toFixed(1) + ' KB';
console.log(`tracker.js: ${kb(bytes)}, ${kb(gzipBytes)} gzip (budget ${kb(BUDGET)})`);
if (gzipBytes > BUDGET) {
  console.error(`tracker.js is ${gzipBytes - BUDGET} bytes over the gzip budget`);
  process.exit(1);
}
