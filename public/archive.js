'use strict';
/* The status page's Archive view. Signs in with the same form as the rest of the page (the secret
   stays in memory here too) and builds everything with textContent, never innerHTML. */
(function () {
  var api = null;
  var el = function (id) { return document.getElementById(id); };
  var message = el('archive-message');
  var tableWrap = el('archive-table').parentNode;

  function node(tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function q(params) {
    return Object.keys(params).filter(function (k) { return params[k]; }).map(function (k) {
      return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]);
    }).join('&');
  }
  function fail(res) { message.textContent = window.ConnectorApi.explain(res); }

  function loadDays() {
    var jobId = el('archive-job').value;
    var day = el('archive-day');
    day.replaceChildren(node('option', 'All days'));
    day.firstChild.value = '';
    if (!jobId) return Promise.resolve();
    return api.get('/api/archive/days?' + q({ jobId: jobId })).then(function (res) {
      if (!res.ok) return fail(res);
      res.data.Days.forEach(function (d) {
        var o = node('option', d.Day + ' (' + d.Items + ' items)');
        o.value = d.Day;
        day.appendChild(o);
      });
      if (res.data.SearchNeedsDay && res.data.Days.length) day.value = res.data.Days[0].Day;
      message.textContent = res.data.Days.length ? '' : 'Nothing archived for this job yet.';
    });
  }

  function show(row) {
    api.get('/api/archive/file?' + q({ jobId: el('archive-job').value, path: row.ItemPath })).then(function (res) {
      if (!res.ok) return fail(res);
      el('archive-item-content').textContent = JSON.stringify(res.data, function (key, value) {
        // Attachments are in the .eml; their base64 would bury the text here.
        return key === 'Content' && typeof value === 'string' && value.length > 2000 && /^[A-Za-z0-9+/=]+$/.test(value) ? '(' + value.length + ' base64 characters)' : value;
      }, 2);
      el('archive-item').hidden = false;
      el('archive-item-heading').focus();
    });
  }

  function download(row, link) {
    api.blob('/api/archive/file?' + q({ jobId: el('archive-job').value, path: row.EmlPath })).then(function (res) {
      if (!res.ok) return fail(res);
      var url = window.URL.createObjectURL(res.data);
      var a = document.createElement('a');
      a.href = url;
      a.download = row.Id + '.eml';
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(function () { window.URL.revokeObjectURL(url); }, 60000);
      link.focus();
    });
  }

  function search(event) {
    if (event) event.preventDefault();
    var jobId = el('archive-job').value;
    if (!jobId) { message.textContent = 'No job yet, so nothing is archived.'; return; }
    message.textContent = 'Searching…';
    api.get('/api/archive/items?' + q({ jobId: jobId, day: el('archive-day').value, q: el('archive-q').value.trim() })).then(function (res) {
      if (!res.ok) { tableWrap.hidden = true; return fail(res); }
      var body = el('archive-table').querySelector('tbody');
      body.replaceChildren();
      res.data.forEach(function (row) {
        var tr = document.createElement('tr');
        tr.appendChild(node('td', row.SentTimeUtc.slice(0, 16).replace('T', ' ')));
        tr.appendChild(node('td', row.ItemType));
        tr.appendChild(node('td', row.Sender));
        var th = node('th', row.Preview || row.Id);
        th.scope = 'row';
        tr.appendChild(th);
        var td = node('td');
        var open = node('button', 'Show');
        open.type = 'button';
        open.setAttribute('aria-label', 'Show item ' + row.Id);
        open.addEventListener('click', function () { show(row); });
        var eml = node('button', 'Download .eml');
        eml.type = 'button';
        eml.setAttribute('aria-label', 'Download the message of item ' + row.Id);
        eml.addEventListener('click', function () { download(row, eml); });
        td.appendChild(open);
        td.appendChild(document.createTextNode(' '));
        td.appendChild(eml);
        tr.appendChild(td);
        body.appendChild(tr);
      });
      tableWrap.hidden = res.data.length === 0;
      var n = res.data.length;
      message.textContent = n ? (n === 1 ? '1 item' : n + ' items') + (n === 200 ? ' (the newest 200; narrow the search)' : '') + '.' : 'No archived item matches.';
    });
  }

  el('signin-form').addEventListener('submit', function () {
    // The page's own script signs in with the same values; this view keeps its own copy in memory.
    var tenantId = el('tenant-id').value.trim();
    var secret = el('api-secret-key').value;
    if (!tenantId || !secret) return;
    api = window.ConnectorApi(tenantId, secret);
    api.get('/api/status').then(function (res) {
      if (!res.ok || !res.data) { api = null; return; }
      window.ConnectorApi.fillJobs(el('archive-job'), res.data.Jobs);
      return loadDays();
    });
  });
  el('archive-job').addEventListener('change', loadDays);
  el('archive-form').addEventListener('submit', search);
})();
