'use strict';
/* The X callback page: tell the setup page how the sign-in ended, then close when it succeeded.
   Two channels: window.opener.postMessage, and a same-origin BroadcastChannel. The second is
   needed because this page's Cross-Origin-Opener-Policy differs from X's sign-in page, so the
   browser puts it in a new browsing context group when it arrives from X and cuts window.opener. */
(function () {
  var result = document.getElementById('oauth-result');
  var outcome = result ? result.getAttribute('data-outcome') : 'invalid';
  var message = { type: 'x-signin', outcome: outcome };
  if (window.opener && !window.opener.closed) {
    try { window.opener.postMessage(message, window.location.origin); } catch { /* the opener navigated elsewhere */ }
  }
  if (typeof window.BroadcastChannel === 'function') {
    var channel = new window.BroadcastChannel('x-signin');
    channel.postMessage(message);
    channel.close();
  }
  var close = document.getElementById('close-window');
  if (close) close.addEventListener('click', function () { window.close(); });
  if (outcome === 'success') window.close();
})();
