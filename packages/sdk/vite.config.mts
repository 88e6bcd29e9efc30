import { defineConfig } from 'vite';

/** The library as ES module and CommonJS; openapi-fetch stays a dependency, not bundled. */
export default defineConfig({
  logLevel: 'warn',
  build: {
    lib: { entry: 'src/index.ts', formats: ['es', 'cjs'], fileName: (format) => (format === 'es' ? 'index.mjs' : 'index.cjs') },
    rolldownOptions: { external: ['openapi-fetch'] },
    outDir: 'dist',
    emptyOutDir: true,
    minify: false,
    sourcemap: true,
    target: 'es2022',
  },
});
