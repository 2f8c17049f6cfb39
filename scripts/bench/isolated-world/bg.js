// A service worker only because the test launcher waits for one.
