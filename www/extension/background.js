// The extension's service worker: it only reacts to a click on the action. The click grants
// `activeTab` (access to this one tab until it navigates), which is all `scripting` needs: the
// extension asks for no host permissions, so it can read no page the user did not click it on.
//
// content.js decides what a click means (first click: start; later clicks: stop, or start again),
// so injecting it twice is safe: it keeps one instance per page in its isolated world.

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
