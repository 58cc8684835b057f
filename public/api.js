/* Calls the connector's API with the credentials typed on the page. They live only in memory:
   no cookie or storage ever carries them. */
'use strict';
/* The Basic Authorization header of the typed tenant id and APISecretKey (UTF-8, base64). */
function connectorBasicHeader(tenantId, secret) {
  var bytes = new TextEncoder().encode(tenantId + ':' + secret);
  var binary = '';
  bytes.forEach(function (b) { binary += String.fromCharCode(b); });
  return 'Basic ' + btoa(binary);
}

window.ConnectorApi = function ConnectorApi(tenantId, secret) {
  var header = connectorBasicHeader(tenantId, secret);

  function call(method, path, body) {
    var init = { method: method, headers: { Authorization: header, Accept: 'application/json' }, credentials: 'omit' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var data;
        try { data = text ? JSON.parse(text) : null; } catch { data = null; }
        return { status: res.status, ok: res.ok, data: data };
      });
    }, function () {
      return { status: 0, ok: false, data: { Message: 'The connector could not be reached. Check your connection and try again.' } };
    });
  }
  /* A file (an archived .eml): its bytes as a Blob, for a download link. */
  function blob(path) {
    return fetch(path, { headers: { Authorization: header }, credentials: 'omit' }).then(function (res) {
      if (!res.ok) return res.text().then(function (text) {
        var data;
        try { data = JSON.parse(text); } catch { data = null; }
        return { status: res.status, ok: false, data: data };
      });
      return res.blob().then(function (b) { return { status: res.status, ok: true, data: b }; });
    }, function () {
      return { status: 0, ok: false, data: { Message: 'The connector could not be reached. Check your connection and try again.' } };
    });
  }
  return {
    get: function (path) { return call('GET', path); },
    post: function (path, body) { return call('POST', path, body); },
    blob: blob,
  };
};

/* A message for a failed call that says what to do next. */
window.ConnectorApi.explain = function (res) {
  if (res.status === 401) return 'The tenant id or APISecretKey is not right. Use the values of TENANT_ID and API_SECRET_KEY from the connector\'s app settings.';
  if (res.status === 429) return 'Too many failed sign-ins from this address. Wait 15 minutes, then try again with the right APISecretKey.';
  if (res.data && res.data.Message) return res.data.Message;
  return 'The connector answered with an error (HTTP ' + res.status + '). Try again; if it persists, check the connector\'s logs.';
};

window.ConnectorApi.basicHeader = connectorBasicHeader;

/* Fills a <select> with the jobs of GET /api/status, "job (@account)". */
window.ConnectorApi.fillJobs = function (select, jobs) {
  select.replaceChildren();
  jobs.forEach(function (j) {
    var o = document.createElement('option');
    o.textContent = j.JobId + (j.AccountUsername ? ' (@' + j.AccountUsername + ')' : '');
    o.value = j.JobId;
    select.appendChild(o);
  });
};
