// The extension's service worker. It does two things:
//
// 1. It reacts to a click on the action. The click grants `activeTab` (access to this one tab
//    until it navigates), which is all `scripting` needs: the extension asks for no host
//    permissions, so it can read no page the user did not click it on. content.js decides what a
//    click means (first click: start; later clicks: stop, or start again), so injecting it twice
//    is safe: it keeps one instance per page in its isolated world.
//
// 2. It introduces content.js to its engine frame. engine.html must be web-accessible (content.js
//    frames it on the page), so any page can frame it too and post to it. So the frame trusts
//    nothing that arrives through a window without a token that only the extension's own
//    messaging carries:
//    - content.js names its frame with a random nonce (`engine.html#nonce`);
//    - the frame, once loaded, says hello here with that nonce; this worker makes a one-time
//      token, answers it to the frame, and sends it with the nonce to content.js (the tab's top
//      frame, where background.ts injects it);
//    - content.js takes the token for its own nonce only, and posts it to its frame with the
//      MessagePort; the frame compares.
//    `chrome.runtime` messaging reaches only the extension's own contexts (there is no
//    `externally_connectable`), and the token lives only here, in the engine frame and in
//    content.js's isolated world, so no page can read, mint or present one. See engine/engine.ts.
import { type EngineHelloAnswer, type EngineToken, isEngineHello } from './messages.js';

chrome.action.onClicked.addListener(async (tab) => {
  if (tab.id === undefined) return;
  try {
    // The top frame only: activeTab covers the tab's own origin, not cross-origin iframes.
    await chrome.scripting.executeScript({ target: { tabId: tab.id }, files: ['content.js'] });
  } catch (e) {
    // chrome:// pages, the Web Store and other extensions' pages cannot be scripted. The badge is
    // the only place left to say so (there is no page to draw on).
    await chrome.action.setBadgeBackgroundColor({ tabId: tab.id, color: '#a33' });
    await chrome.action.setBadgeText({ tabId: tab.id, text: '!' });
    await chrome.action.setTitle({
      tabId: tab.id,
      title: `inbetween cannot run on this page: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
});

const ENGINE_URL = chrome.runtime.getURL('engine.html');

chrome.runtime.onMessage.addListener((message: unknown, sender, sendResponse: (a: EngineHelloAnswer) => void) => {
  // Only the extension's own contexts can reach onMessage; check anyway, and answer nothing else.
  if (sender.id !== chrome.runtime.id || sender.tab?.id === undefined) return false;
  const fromEngine = sender.url !== undefined && sender.url.split(/[?#]/)[0] === ENGINE_URL;
  if (!isEngineHello(message) || !fromEngine) return false;
  const nonce = typeof message.nonce === 'string' ? message.nonce.slice(0, 64) : '';
  const token = crypto.randomUUID();
  // To content.js, in the tab's top frame. A frame of engine.html that a page made itself has no
  // nonce content.js knows, so content.js ignores its token; it gets its own through this too.
  const introduction: EngineToken = { type: 'engine-token', nonce, token };
  chrome.tabs
    .sendMessage(sender.tab.id, introduction, { frameId: 0 })
    .catch(() => {}) // no content.js in the tab (a page framed engine.html by itself)
    .finally(() => sendResponse({ token }));
  return true; // answered asynchronously
});
