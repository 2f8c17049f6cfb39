// WGSL files imported as text (scripts/build-extension.mjs bundles them with esbuild's text
// loader), so the kernels stay in shaders/.
declare module '*.wgsl' {
  const source: string;
  export default source;
}
