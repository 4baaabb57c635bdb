import { z } from 'zod';

// The CSP forbids eval. Without this, zod probes `new Function` once (caught) and Chromium
// reports the probe as a CSP violation on every start. Imported first by main.tsx, before
// any module builds or parses a schema.
z.config({ jitless: true });
