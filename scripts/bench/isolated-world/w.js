postMessage("ext-worker-ok")
