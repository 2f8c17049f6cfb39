// Only for Vite's dev server: it pre-bundles dependencies into node_modules/.vite/deps/, where
// the package's worker and .wasm, found next to its own files, are not. Production builds
// (`vite build`) need no config.
export default {
  optimizeDeps: { exclude: ['inbetween'] },
};
