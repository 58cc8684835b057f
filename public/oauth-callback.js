'use strict';
/* The X callback page: tell the setup page how the sign-in ended, then close when it succeeded. */
(function () {
  var result = document.getElementById('oauth-result');
  var outcome = result ? result.getAttribute('data-outcome') : 'invalid';
  if (window.opener && !window.opener.closed) {
    try { window.opener.postMessage({ type: 'x-signin', outcome: outcome }, window.location.origin); } catch { /* the opener navigated elsewhere */ }
  }
  var close = document.getElementById('close-window');
  if (close) close.addEventListener('click', function () { window.close(); });
  if (outcome === 'success') window.close();
})();
