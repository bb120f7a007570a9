import { fileURLToPath } from 'node:url';
import { createLogger, defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// public/prefetch.js is a classic script on purpose (it runs before the bundle, see web/src/data.ts): not a warning
const logger = createLogger('warn');
const warn = logger.warn;
logger.warn = (message, options) => {
  if (message.includes('prefetch.js') && message.includes('without type="module"')) return;
  warn(message, options);
};

// The viewer's web app, built twice: into dist/web, which `crosstalk serve` serves (React Flow and dagre in a chunk of
// their own, loaded only for a small graph, so a large run's page starts sooner), and with `--mode single` into
// dist/web-single, one script and one style sheet, which `runs export --html` inlines.
export default defineConfig(({ mode }) => ({
  root: here,
  base: './',
  logLevel: 'warn',
  customLogger: logger,
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
