import { defineConfig } from 'vite';

// The workspace packages resolve to their TypeScript sources ('development'), so the app builds without `tsc -b`.
export default defineConfig({
  base: './',
  resolve: { conditions: ['development', 'browser', 'module', 'import', 'default'] },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096, reportCompressedSize: false },
  logLevel: 'warn',
});
