// An extension page in a frame: answers whether a VideoFrame posted to it arrived.
window.addEventListener('message', (e) => {
  const port = e.ports[0];
  if (!port) return;
  port.onmessageerror = () => port.postMessage('messageerror: the frame could not be received');
  port.onmessage = (m) => {
    const f = m.data;
    port.postMessage(`ok ${f.displayWidth}x${f.displayHeight}`);
    f.close();
  };
});
