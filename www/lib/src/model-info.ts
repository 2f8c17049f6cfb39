// Written by "node scripts/build-model.mjs --update" from the converted model, and committed:
// every build checks that the model it converts still has this hash.
/** File name of the packaged model, next to this module under ../model/. */
export const MODEL_FILE = "rife-4.25-f16.bpk";
/** sha256 (hex) of the packaged model. */
export const MODEL_SHA256 = "2365f82bf8cd701ae72cafd440dcc9681ec8f9c451d6ce20398c08058f3f2faa";
/** Size of the packaged model in bytes. */
export const MODEL_BYTES = 11339112;
/** Model name and weight precision. */
export const MODEL_NAME = "rife-4.25 (f16)";
