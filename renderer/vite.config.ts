import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Absolute paths from this file's folder, so the build works from any working directory.
const here = (path: string) => `${import.meta.dirname}/${path}`;

// Builds the renderer to dist/renderer. `base: './'` makes every asset URL relative, so the
// same build loads from file:// in Electron and from the serve host's root over HTTP.
export default defineConfig(({ command }) => {
  // A build started from a test process inherits NODE_ENV=test, and Vite and the React
  // plugin would ship React's development build (bigger, slower, noisy console). A build
  // of the app is always a production build.
  if (command === 'build') process.env.NODE_ENV = 'production';
  return config;
});

const config = {
  root: here('.'),
  base: './',
  plugins: [react()],
  build: {
    outDir: here('../dist/renderer'),
    emptyOutDir: true,
    // Never inline assets as data: URLs; the CSP allows only 'self'.
    assetsInlineLimit: 0,
    sourcemap: true,
  },
  server: {
    // `vite --config renderer/vite.config.ts` against a running serve host on RW_API (dev only).
    proxy: process.env.RW_API
      ? { '/api': { target: process.env.RW_API, changeOrigin: false } }
      : undefined,
  },
};
