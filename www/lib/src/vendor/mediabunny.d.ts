// Types for the vendored mediabunny bundle. scripts/vendor-lib.mjs copies mediabunny's own ESM
// bundle (node_modules/mediabunny, MPL-2.0, unmodified) to dist/vendor/mediabunny.js at build
// time, so the package's modules and its worker import it by relative URL and run without a
// bundler (workers have no import maps). The types come from the npm package itself.
export * from 'mediabunny';
