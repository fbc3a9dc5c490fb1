import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * The gateway's two web pages, built into web/dist: the school page (/school) and the GraphiQL
 * explorer (served at /graphql to browsers). Both load their scripts from /assets/, hashed names,
 * so the gateway can let browsers keep them for good. Everything they need is bundled: nothing is
 * fetched from a CDN, and the pages work on a machine without internet.
 */
export default defineConfig({
  root,
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: path.join(root, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // GraphiQL with React and CodeMirror is one large chunk by design: it is served from localhost.
    chunkSizeWarningLimit: 4096,
    rolldownOptions: {
      input: { school: path.join(root, 'school', 'index.html'), explorer: path.join(root, 'explorer', 'index.html') },
      // React libraries mark modules "use client" for server rendering, which a plain bundle has no use for.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
});
