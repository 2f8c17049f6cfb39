// The page uses the package's vendored mediabunny (one copy, one module instance): the build
// writes dist/vendor/mediabunny.js as a re-export of ../../lib/dist/vendor/mediabunny.js.
export * from 'mediabunny';
