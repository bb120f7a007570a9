import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// The viewer's web app, built twice: into dist/web, which `crosstalk serve` serves (React Flow and dagre in a chunk of
// their own, loaded only for a small graph, so a large run's page starts sooner), and with `--mode single` into
// dist/web-single, one script and one style sheet, which `runs export --html` inlines.
export default defineConfig(({ mode }) => ({
  root: here,
  base: './',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: mode === 'single' ? '../dist/web-single' : '../dist/web',
    emptyOutDir: true,
    assetsInlineLimit: 100_000,
    cssCodeSplit: false,
    modulePreload: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      output: { codeSplitting: mode !== 'single' },
      // React Flow marks itself "use client" for server-component bundlers: meaningless in this bundle
      onLog(level, log, handler) {
        if (log.code === 'MODULE_LEVEL_DIRECTIVE') return;
        handler(level, log);
      },
    },
  },
}));
