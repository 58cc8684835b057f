'use strict';
(function () {
  var root = document.getElementById('setup');
  var jobId = root.getAttribute('data-job-id');
  var tenantId = root.getAttribute('data-tenant-id');
  var callbackUrl = window.location.origin + '/Views/TwitterOAuth';
  var api = null;
  var authUrl = null;
  var popup = null;
  var finished = false;
  /* A sign-in window is open and its outcome has not been handled yet. */
  var waiting = false;
  /* GetEntities/SavePage are under way: a repeated "success" must not save twice. */
  var checking = false;
  var closedTimer = null;

  var el = function (id) { return document.getElementById(id); };
  var loginError = el('login-error');
  var setupError = el('setup-error');
  var setupStatus = el('setup-status');
  var twitterButton = el('twitter-button');

  function q(params) {
    return Object.keys(params).map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]); }).join('&');
  }

  function fetchAuthUrl() {
    return api.get('/api/ConnectorSetup/OAuthUrl?' + q({ jobType: 'Twitter', jobId: jobId, redirectUrl: callbackUrl })).then(function (res) {
      if (!res.ok || typeof res.data !== 'string') throw res;
      authUrl = res.data;
    });
  }

  if (!jobId) {
    loginError.textContent = 'This page must be opened from the Microsoft 365 compliance center: its address has no jobId.';
    el('login-button').disabled = true;
  }

  el('login-form').addEventListener('submit', function (event) {
    event.preventDefault();
    loginError.textContent = '';
    var tenant = tenantId || (el('tenant-id') ? el('tenant-id').value.trim() : '');
    var secret = el('api-secret-key').value;
    if (!secret || !tenant) {
      loginError.textContent = tenant ? 'Paste the APISecretKey first.' : 'Enter the Tenant Id and the APISecretKey.';
      return;
    }
    api = window.ConnectorApi(tenant, secret);
    el('login-status').textContent = 'Authenticating. Please wait...';
    fetchAuthUrl().then(function () {
      el('login-status').textContent = '';
      el('api-secret-key').value = '';
      el('login-section').hidden = true;
      el('twitter-section').hidden = false;
      twitterButton.focus();
    }, function (res) {
      el('login-status').textContent = '';
      api = res.status === 401 || res.status === 429 ? null : api;
      loginError.textContent = window.ConnectorApi.explain(res);
    });
  });

  function finish(message) {
    finished = true;
    el('twitter-login').hidden = true;
    el('step-login').removeAttribute('aria-current');
    el('step-done').setAttribute('aria-current', 'step');
    el('setup-message').textContent = message;
    el('finish').hidden = false;
    el('continue-button').focus();
  }

  function retry(message) {
    setupStatus.textContent = '';
    setupError.textContent = message;
    twitterButton.disabled = false;
    fetchAuthUrl().catch(function (res) { setupError.textContent = window.ConnectorApi.explain(res); });
  }

  /* After the popup: read the signed-in account and record the job ↔ account mapping. */
  function afterSignIn(outcome) {
    if (finished) return;
    if (outcome && outcome !== 'success') {
      retry(outcome === 'denied'
        ? 'Sign-in to X was cancelled. Click "Login with Twitter" to try again.'
        : 'Sign-in to X did not complete. Click "Login with Twitter" to try again.');
      return;
    }
    if (checking) return;
    checking = true;
    setupStatus.textContent = 'Saving the job...';
    api.get('/api/ConnectorSetup/GetEntities?' + q({ jobType: 'Twitter', jobId: jobId })).then(function (res) {
      if (!res.ok || !Array.isArray(res.data) || !res.data.length) throw res;
      var account = res.data[0];
      return api.post('/api/ConnectorSetup/SavePage?' + q({ jobId: jobId, tenantId: tenantId }), { Id: account.Id, Name: account.Name }).then(function (saved) {
        if (!saved.ok || saved.data !== true) throw saved;
        setupStatus.textContent = '';
        checking = false;
        finish('Twitter Connector Job Successfully set up.');
      });
    }).catch(function (res) {
      checking = false;
      retry(res.status === 404
        ? 'Sign-in to X did not complete. Click "Login with Twitter" to try again.'
        : 'Twitter Connector Job Setup Failed: ' + window.ConnectorApi.explain(res));
    });
  }

  /* The X window's outcome, by either channel (see oauth-callback.js); both may deliver it. */
  function onOutcome(data) {
    if (!data || data.type !== 'x-signin' || finished) return;
    // A late "success" is still worth a check (the server has the tokens); anything else only while waiting.
    if (!waiting && data.outcome !== 'success') return;
    waiting = false;
    popup = null;
    window.clearTimeout(closedTimer);
    afterSignIn(data.outcome);
  }

  window.addEventListener('message', function (event) {
    if (event.origin !== window.location.origin) return;
    onOutcome(event.data);
  });
  if (typeof window.BroadcastChannel === 'function') {
    new window.BroadcastChannel('x-signin').onmessage = function (event) { onOutcome(event.data); };
  }

  twitterButton.addEventListener('click', function () {
    if (!authUrl) { retry('Preparing the sign-in, please click again in a moment.'); return; }
    setupError.textContent = '';
    setupStatus.textContent = 'Waiting for the X sign-in window...';
    twitterButton.disabled = true;
    var url = '/Views/TwitterOAuth?loginUrl=' + encodeURIComponent(authUrl);
    authUrl = null;
    popup = window.open(url, 'AuthenticationPopup', 'width=800,height=640');
    if (!popup) { retry('The sign-in window was blocked. Allow pop-ups for this site and click "Login with Twitter" again.'); return; }
    waiting = true;
    var watch = window.setInterval(function () {
      if (popup && !popup.closed) return;
      window.clearInterval(watch);
      if (!waiting) return;
      /* Looks closed without a word: the user closed it, or the browser cut our link to it when it
         came back from X (then its message follows at once). Give the message a moment to win,
         then say the sign-in did not complete. */
      closedTimer = window.setTimeout(function () {
        if (!waiting) return;
        waiting = false;
        popup = null;
        // No word from the sign-in page: the window was closed before X sent it back. Asking the
        // server instead would mistake an earlier sign-in of this job for a new one.
        afterSignIn('closed');
      }, 1500);
    }, 500);
  });

  el('continue-button').addEventListener('click', function () {
    api.get('/api/ConnectorSetup/DeleteToken?' + q({ jobType: 'Twitter', jobId: jobId })).then(function () { window.close(); });
  });
})();
