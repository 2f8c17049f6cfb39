// What a content script (the extension's isolated world) can do on a page, by the page's CSP:
// compile WebAssembly, get a WebGPU device, start workers, read the page's <video> as a
// VideoFrame and import it into WebGPU. Run by scripts/bench/isolated-world.mjs; the results go
// to document.documentElement.dataset.probe.
(async () => {
  const r = {};
  const tryit = async (name, fn) => { const t0 = performance.now(); try { r[name] = { ok: true, v: await fn(), ms: +(performance.now() - t0).toFixed(1) }; } catch (e) { r[name] = { ok: false, e: String(e).slice(0, 160) }; } };
  // (module (func (export "f") (result i32) i32.const 42))
  const wasm = new Uint8Array([0,97,115,109,1,0,0,0,1,5,1,96,0,1,127,3,2,1,0,7,5,1,1,102,0,0,10,6,1,4,0,65,42,11]);
  await tryit('wasmCompile', async () => { const m = await WebAssembly.compile(wasm); const i = await WebAssembly.instantiate(m); return i.exports.f(); });
  await tryit('webgpu', async () => { const a = await navigator.gpu.requestAdapter(); if (!a) throw new Error('no adapter'); const d = await a.requestDevice(); return (a.info && a.info.description) || 'device'; });
  await tryit('extWorker', () => new Promise((res, rej) => { const w = new Worker(chrome.runtime.getURL('w.js')); w.onmessage = (e) => res(e.data); w.onerror = (e) => rej(new Error('error event ' + (e.message || ''))); setTimeout(() => rej(new Error('timeout')), 3000); }));
  await tryit('blobWorkerWasm', () => new Promise((res, rej) => {
    const src = `onmessage = async (e) => { try { const m = await WebAssembly.compile(e.data); postMessage('ok ' + (await WebAssembly.instantiate(m)).exports.f()); } catch (err) { postMessage('fail ' + err); } }; `;
    const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
    w.onmessage = (e) => res(e.data); w.onerror = (e) => rej(new Error('error event ' + (e.message || ''))); w.postMessage(wasm); setTimeout(() => rej(new Error('timeout')), 3000); }));
  await tryit('videoFrame', async () => { const v = document.querySelector('video'); if (!v) return 'no video'; await new Promise((res) => v.readyState >= 2 ? res() : v.addEventListener('loadeddata', res, { once: true })); const f = new VideoFrame(v); const s = `${f.codedWidth}x${f.codedHeight} ${f.format}`; f.close(); return s; });
  await tryit('externalTexture', async () => { const v = document.querySelector('video'); if (!v) return 'no video'; const a = await navigator.gpu.requestAdapter(); const d = await a.requestDevice(); const f = new VideoFrame(v); const t = d.importExternalTexture({ source: f }); f.close(); return t.constructor.name; });
  await tryit('canvasWebgpu', async () => { const c = document.createElement('canvas'); const ctx = c.getContext('webgpu'); return ctx ? 'ok' : 'null'; });
  await tryit('frameToExtPage', async () => {
    // The engine frame design: a VideoFrame posted to an extension page in an iframe.
    const v = document.querySelector('video');
    const iframe = document.createElement('iframe');
    iframe.src = chrome.runtime.getURL('sink.html');
    iframe.style.cssText = 'width:1px;height:1px;border:0';
    document.body.append(iframe);
    await new Promise((res) => iframe.addEventListener('load', res, { once: true }));
    const ch = new MessageChannel();
    iframe.contentWindow.postMessage('port', '*', [ch.port2]);
    const answer = await new Promise((res, rej) => {
      ch.port1.onmessage = (m) => res(m.data);
      setTimeout(() => rej(new Error('no answer')), 5000);
      const f = new VideoFrame(v);
      ch.port1.postMessage(f, [f]);
    });
    iframe.remove();
    if (!answer.startsWith('ok')) throw new Error(answer);
    return answer;
  });
  document.documentElement.dataset.probe = JSON.stringify(r);
})();
