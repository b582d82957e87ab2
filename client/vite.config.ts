import { defineConfig, type ProxyOptions } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// In development the hub runs separately; everything it serves is proxied so the
// dashboard talks to one origin, exactly as it does when the hub serves dist/.
const HUB = 'http://127.0.0.1:3000';
const toHub: ProxyOptions = { target: HUB, ws: true };

export default defineConfig({
  // Relative asset URLs: the hub can serve dist/ from any mount point.
  base: './',
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: {
      // The protocol package re-exports zod schemas next to the constants the client uses.
      // Declaring its modules side-effect free lets the bundler drop the schemas (and zod).
      treeshake: { moduleSideEffects: (id: string) => !/[\\/]protocol[\\/]src[\\/]/.test(id) },
    },
  },
  server: {
    proxy: {
      '/api': toHub,
      '/socket.io': toHub,
      '/tracker.js': toHub,
      '/demo': toHub,
    },
  },
});
