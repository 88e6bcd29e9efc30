import { defineConfig, type Plugin } from 'vite';
import { gzipSync } from 'node:zlib';

/** The gzipped size of all JavaScript the console ships, printed after every build (budget: 250 KB). */
const BUDGET_BYTES = 250 * 1024;
function reportJsSize(): Plugin {
  return {
    name: 'latchkey-js-size',
    apply: 'build',
    generateBundle(_options, bundle) {
      let raw = 0;
      let gzipped = 0;
      for (const file of Object.values(bundle)) {
        if (file.type !== 'chunk') continue;
        raw += Buffer.byteLength(file.code);
        gzipped += gzipSync(file.code, { level: 9 }).length;
      }
      const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
      const line = `console JavaScript: ${kb(raw)}, ${kb(gzipped)} gzipped (budget ${kb(BUDGET_BYTES)})`;
      if (gzipped > BUDGET_BYTES) this.error(`${line}: over budget`);
      this.info(line);
      console.log(line);
    },
  };
}

/** Run from the repository root (`npm run build:console`): paths are relative to it. */
export default defineConfig({
  root: 'console',
  base: '/console/',
  publicDir: false,
  logLevel: 'warn',
  // Preact's JSX through Vite's own Oxc transform (no Babel preset needed).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [reportJsSize()],
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // The preload polyfill would be an inline script; every supported browser has modulepreload.
    modulePreload: { polyfill: false },
    // No asset is inlined as a data: URL for scripts or styles the CSP would then have to allow.
    assetsInlineLimit: 0,
  },
});
