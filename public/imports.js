'use strict';
/* The status page's "Import X archive": the zip is sent as the request body (streamed to disk by
   the connector) with an upload progress bar, then what the archive held is shown and the list of
   imports refreshed. Built with textContent, never innerHTML; the secret stays in memory. */
(function () {
  var api = null;
  var header = null;
  var el = function (id) { return document.getElementById(id); };
  var message = el('import-message');
  var error = el('import-error');
  var table = el('imports-table');

  function node(tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function n(x) { return Number(x).toLocaleString('en-US'); }
  function seconds(ms) { return ms === null || ms === undefined ? '—' : (ms / 1000).toFixed(1) + ' s'; }

  function list() {
    return api.get('/api/imports').then(function (res) {
      if (!res.ok) { error.textContent = window.ConnectorApi.explain(res); return; }
      var body = table.querySelector('tbody');
      body.replaceChildren();
      res.data.forEach(function (i) {
        var tr = document.createElement('tr');
        var th = node('th', i.FileName);
        th.scope = 'row';
        th.title = 'SHA-256 ' + i.Sha256;
        tr.appendChild(th);
        tr.appendChild(node('td', i.JobId));
        tr.appendChild(node('td', i.AccountId + (i.AccountUsername ? ' (@' + i.AccountUsername + ')' : '')));
        tr.appendChild(node('td', n(i.Found.Posts) + ' / ' + n(i.Imported.Posts)));
        tr.appendChild(node('td', n(i.Found.DirectMessages) + ' / ' + n(i.Imported.DirectMessages)));
        tr.appendChild(node('td', n(i.Found.Media) + ' / ' + n(i.Imported.Media)));
        tr.appendChild(node('td', seconds(i.DurationMs)));
        tr.appendChild(node('td', i.Status + (i.Error ? ': ' + i.Error : '')));
        body.appendChild(tr);
      });
      table.parentNode.hidden = res.data.length === 0;
      el('imports-empty').hidden = res.data.length !== 0;
    });
  }

  function found(i) {
    return 'Imported ' + i.FileName + ' of X account ' + i.AccountId + (i.AccountUsername ? ' (@' + i.AccountUsername + ')' : '') + ': found ' +
      n(i.Found.Posts) + ' posts, ' + n(i.Found.DirectMessages) + ' DMs and ' + n(i.Found.Media) + ' media files; added ' +
      n(i.Imported.Posts) + ' posts and ' + n(i.Imported.DirectMessages) + ' DMs (' + n(i.Imported.Media) + ' media files used) in ' + seconds(i.DurationMs) + '.';
  }

  /* The import reads on after the upload's answer: follow it in the list until it is done. */
  function follow(started) {
    api.get('/api/imports').then(function (res) {
      var current = res.ok && res.data.filter(function (i) {
        return i.JobId === started.JobId && i.Sha256 === started.Sha256 && i.StartedAt === started.StartedAt;
      })[0];
      if (current && current.Status === 'running') {
        message.textContent = 'Reading ' + current.FileName + ': ' + n(current.Found.Posts) + ' posts and ' + n(current.Found.DirectMessages) + ' DMs so far…';
        window.setTimeout(function () { follow(started); }, 1000);
        return;
      }
      el('import-button').disabled = false;
      if (current && current.Status === 'done') {
        el('import-progress-label').textContent = 'Done';
        message.textContent = found(current);
      } else {
        el('import-progress-wrap').hidden = true;
        message.textContent = '';
        error.textContent = current ? 'The import of ' + current.FileName + ' stopped: ' + (current.Error || 'unknown error') + '. Import the same file again to complete it.' : window.ConnectorApi.explain(res);
      }
      list();
    });
  }

  function upload(event) {
    event.preventDefault();
    error.textContent = '';
    message.textContent = '';
    var file = el('import-file').files[0];
    var jobId = el('import-job').value;
    if (!jobId) { error.textContent = 'No job yet: set up the connector first, then sign its X account in.'; return; }
    if (!file) { error.textContent = 'Choose the X archive zip first.'; el('import-file').focus(); return; }
    var bar = el('import-progress');
    var label = el('import-progress-label');
    bar.value = 0;
    label.textContent = 'Uploading ' + file.name;
    el('import-progress-wrap').hidden = false;
    el('import-button').disabled = true;
    var xhr = new window.XMLHttpRequest();
    xhr.open('POST', '/api/imports?jobId=' + encodeURIComponent(jobId) + '&fileName=' + encodeURIComponent(file.name));
    xhr.setRequestHeader('Authorization', header);
    xhr.setRequestHeader('Content-Type', 'application/zip');
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      bar.value = Math.round((e.loaded / e.total) * 100);
      bar.setAttribute('aria-valuetext', bar.value + ' %');
    };
    xhr.upload.onload = function () {
      bar.value = 100;
      label.textContent = 'Uploaded; reading the archive…';
      message.textContent = 'Uploaded ' + file.name + '; reading the archive…';
    };
    xhr.onloadend = function () {
      var data;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      if (xhr.status === 202 && data) {
        label.textContent = 'Reading the archive';
        message.textContent = 'Checked: ' + data.FileName + ' is the archive of X account ' + data.AccountId + '; reading its posts and DMs…';
        follow(data);
      } else {
        el('import-button').disabled = false;
        el('import-progress-wrap').hidden = true;
        message.textContent = '';
        error.textContent = window.ConnectorApi.explain({ status: xhr.status, data: data });
        list();
      }
    };
    xhr.send(file);
  }

  el('signin-form').addEventListener('submit', function () {
    var tenantId = el('tenant-id').value.trim();
    var secret = el('api-secret-key').value;
    if (!tenantId || !secret) return;
    api = window.ConnectorApi(tenantId, secret);
    header = window.ConnectorApi.basicHeader(tenantId, secret);
    api.get('/api/status').then(function (res) {
      if (!res.ok || !res.data) { api = null; return; }
      window.ConnectorApi.fillJobs(el('import-job'), res.data.Jobs);
      return list();
    });
  });
  el('import-form').addEventListener('submit', upload);
})();
