// The consent callback's page: the approval is recorded; close the popup if the chat opened it.
'use strict';
window.addEventListener('load', () => {
  if (window.opener) setTimeout(() => window.close(), 800);
});
