'use strict';
/* The status dashboard. Like the Configure page, the tenant id and APISecretKey live only in this
   script's memory and go out as a Basic Authorization header; everything shown is built with
   textContent (never innerHTML), and the chart is server-made SVG parsed as XML. */
(function () {
  var api = null;
  var el = function (id) { return document.getElementById(id); };
  var signinMessage = el('signin-message');
  var refreshMessage = el('refresh-message');
  var refreshError = el('refresh-error');
  var refreshButton = el('refresh-button');

  var STATUS_LABELS = {
    queued: 'Queued',
    running: 'Running',
    success: 'Success',
    temporary_failure: 'Temporary failure',
    permanent_failure: 'Permanent failure',
  };
  var STATE_BADGES = {
    Ok: { text: 'OK', cls: 'badge-ok' },
    Problem: { text: 'Needs attention', cls: 'badge-bad' },
    Unknown: { text: 'Not yet known', cls: 'badge-warn' },
  };

  function formatTime(iso) {
    if (!iso) return '—';
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    return d.toISOString().slice(0, 16).replace('T', ' ');
  }

  function formatDuration(ms) {
    if (ms === null || ms === undefined) return '—';
    if (ms < 1000) return ms + ' ms';
    var s = Math.round(ms / 100) / 10;
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    return m + ' min ' + Math.round(s - m * 60) + ' s';
  }

  function count(n) { return Number(n).toLocaleString('en-US'); }

  function node(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function cell(row, content, cls) {
    var td = node('td', null, cls);
    if (content instanceof window.Node) td.appendChild(content); else td.textContent = content;
    row.appendChild(td);
    return td;
  }

  function statusBadge(status) {
    var cls = status === 'success' ? 'badge-ok' : status === 'permanent_failure' ? 'badge-bad' : 'badge-warn';
    return node('span', STATUS_LABELS[status] || status, 'badge ' + cls);
  }

  function showHealth(id, state, message, action) {
    var box = el(id);
    var badge = STATE_BADGES[state] || STATE_BADGES.Unknown;
    var b = box.querySelector('.badge');
    b.textContent = badge.text;
    b.className = 'badge ' + badge.cls;
    box.querySelector('.health-message').textContent = message;
    var a = box.querySelector('.health-action');
    if (action) a.textContent = action;
    // The Settings card carries its own link; the others show advice only when given some.
    a.hidden = state !== 'Problem' || (!action && !a.querySelector('a'));
  }

  function renderHealth(h) {
    showHealth('health-configured', h.Configured.State, h.Configured.Message);
    var x = h.XReachable;
    showHealth('health-x', x.State, x.Message + (x.CheckedAt ? ' (checked ' + formatTime(x.CheckedAt) + ' UTC)' : ''),
      'The X app\'s callback URL must be ' + window.location.origin + '/Views/TwitterOAuth.');
    var r = h.LastReport;
    var when = r.FinishedAt ? ' Task finished ' + formatTime(r.FinishedAt) + ' UTC with status ' + (STATUS_LABELS[r.TaskStatus] || r.TaskStatus) + '.' : '';
    showHealth('health-report', r.State, r.Message + when);
  }

  function renderJobs(jobs) {
    var body = el('jobs-table').querySelector('tbody');
    body.replaceChildren();
    el('jobs-empty').hidden = jobs.length > 0;
    el('jobs-table').parentNode.hidden = jobs.length === 0;
    jobs.forEach(function (j) {
      var tr = document.createElement('tr');
      var th = node('th', j.JobId);
      th.scope = 'row';
      tr.appendChild(th);
      var who = j.AccountUsername ? '@' + j.AccountUsername : '—';
      cell(tr, j.AccountName ? j.AccountName + ' (' + who + ')' : who);
      cell(tr, formatTime(j.Created));
      var signIn = j.NeedsSignInAgain
        ? node('span', 'Sign in again', 'badge badge-bad')
        : j.SetupComplete ? node('span', 'OK', 'badge badge-ok') : node('span', 'Setup not finished', 'badge badge-warn');
      cell(tr, signIn);
      cell(tr, j.SinceId || '—');
      var last = j.LastTask;
      if (!last) cell(tr, 'None yet');
      else {
        var wrap = node('span');
        wrap.appendChild(statusBadge(last.Status));
        wrap.appendChild(document.createTextNode(' ' + last.TaskId + ', ' + count(last.Items) + ' items' +
          (last.FinishedAt ? ', ' + formatTime(last.FinishedAt) + ' UTC' : '')));
        cell(tr, wrap);
      }
      body.appendChild(tr);
    });
  }

  function parseSvg(markup) {
    var doc = new window.DOMParser().parseFromString(markup, 'image/svg+xml');
    var svg = doc.documentElement;
    if (!svg || svg.nodeName !== 'svg') return node('p', 'The chart could not be shown; the table below has the same numbers.', 'error');
    return document.importNode(svg, true);
  }

  function dayTable(job) {
    var details = node('details');
    details.appendChild(node('summary', 'Show the days of job ' + job.JobId + ' as a table'));
    var table = node('table');
    table.appendChild(node('caption', 'Items per UTC day for job ' + job.JobId));
    var head = node('tr');
    ['Day (UTC)', 'Items', 'Refused', 'Over the cap'].forEach(function (t) {
      var th = node('th', t);
      th.scope = 'col';
      head.appendChild(th);
    });
    var thead = node('thead');
    thead.appendChild(head);
    table.appendChild(thead);
    var tbody = node('tbody');
    job.Days.forEach(function (d) {
      var tr = node('tr');
      cell(tr, d.Day);
      cell(tr, count(d.Items));
      cell(tr, count(d.Refused));
      cell(tr, d.OverCap ? 'Yes' : 'No');
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    var wrap = node('div', null, 'table-wrap');
    wrap.appendChild(table);
    details.appendChild(wrap);
    return details;
  }

  function renderCharts(jobs) {
    var box = el('charts');
    box.replaceChildren();
    jobs.forEach(function (j) {
      var figure = node('figure', null, 'chart-figure');
      // Scrolls sideways on a narrow screen rather than shrinking the labels out of legibility.
      var scroll = node('div', null, 'chart-scroll');
      scroll.appendChild(parseSvg(j.Chart));
      figure.appendChild(scroll);
      var caption = 'Job ' + j.JobId + (j.AccountUsername ? ' (@' + j.AccountUsername + ')' : '') + '. ';
      caption += j.DaysOverCap.length
        ? 'Over the daily cap on ' + j.DaysOverCap.join(', ') + ': the refused items of those days were not imported.'
        : 'No day over the daily cap.';
      figure.appendChild(node('figcaption', caption, j.DaysOverCap.length ? 'over-cap-note' : 'muted'));
      figure.appendChild(dayTable(j));
      box.appendChild(figure);
    });
    if (!jobs.length) box.appendChild(node('p', 'No job yet, so nothing to chart.', 'muted'));
  }

  function renderTasks(tasks) {
    var body = el('tasks-table').querySelector('tbody');
    body.replaceChildren();
    el('tasks-empty').hidden = tasks.length > 0;
    el('tasks-table').parentNode.hidden = tasks.length === 0;
    tasks.forEach(function (t) {
      var tr = document.createElement('tr');
      var th = node('th', t.JobId + ' / ' + t.TaskId);
      th.scope = 'row';
      tr.appendChild(th);
      cell(tr, formatTime(t.WindowStart) + ' – ' + formatTime(t.WindowEnd));
      cell(tr, count(t.Items) + (t.DaysOverCap.length ? ' (over the cap on ' + t.DaysOverCap.join(', ') + ')' : ''));
      cell(tr, count(t.AttachmentsSkipped));
      var status = node('span');
      status.appendChild(statusBadge(t.Status));
      if (t.FinishedAt && !t.Reported) status.appendChild(document.createTextNode(' not reported yet'));
      cell(tr, status);
      cell(tr, formatDuration(t.DurationMs));
      var error = node('div', t.Error || '—');
      // What to do about it, in words, beside the technical error (src/status/advice.ts).
      if (t.Advice) error.appendChild(node('p', t.Advice, 'task-advice'));
      // What X could not serve, or the task did not ask (none of it a failure).
      (t.Notes || []).forEach(function (n) { error.appendChild(node('p', n, 'task-note')); });
      cell(tr, error, t.Error || (t.Notes && t.Notes.length) ? 'task-error' : '');
      body.appendChild(tr);
    });
  }

  function renderDeletions(d) {
    var list = el('deletion-checks');
    list.replaceChildren();
    d.Checks.forEach(function (c) {
      var text = c.Ok
        ? 'Job ' + c.JobId + ': checked ' + count(c.Checked) + ' archived posts at ' + formatTime(c.At) + ' UTC; ' + count(c.Found) + ' new deletions.'
        : 'Job ' + c.JobId + ': the deletion check at ' + formatTime(c.At) + ' UTC failed. ' + c.Message;
      list.appendChild(node('li', text, c.Ok ? '' : 'task-error'));
    });
    if (!d.Checks.length) list.appendChild(node('li', 'No deletion check has run yet.', 'muted'));
    var body = el('deletions-table').querySelector('tbody');
    body.replaceChildren();
    el('deletions-empty').hidden = d.Recent.length > 0;
    el('deletions-table').parentNode.hidden = d.Recent.length === 0;
    d.Recent.forEach(function (x) {
      var tr = document.createElement('tr');
      var th = node('th', x.JobId + ' / ' + x.PostId);
      th.scope = 'row';
      tr.appendChild(th);
      cell(tr, x.Action + (x.Reason ? ' (' + x.Reason + ')' : '') + (x.Via === 'lookup' ? ', found by a lookup by id' : ''));
      cell(tr, formatTime(x.OccurredAt));
      cell(tr, formatTime(x.LearnedAt));
      cell(tr, x.DeliveredIn || 'not yet: the next task delivers it');
      body.appendChild(tr);
    });
  }

  var AUDIT_LABELS = {
    'settings.saved': 'Settings saved',
    'signin.failed': 'Failed sign-ins',
    'signin.lockout': 'Sign-ins refused after too many failures',
    'job.authorized': 'Job signed in to X',
    'job.reauthorized': 'Job signed in to X again',
    'job.setup': 'Job set up',
    'job.remediation': 'Remediation requested',
    'job.deleted': 'Job deleted',
    'task.queued': 'Task queued',
    'task.reported': 'Task reported',
    'deletion.found': 'Deletion found',
    'verify.run': 'Verify run',
    'archive.imported': 'X archive imported',
  };
  var PRINCIPALS = { basic: 'the tenant id and APISecretKey', bearer: 'a Microsoft 365 token', none: 'no API sign-in' };
  /* The page shown: `before` is null for the newest; `newer` holds the pages to go back to. */
  var audit = { before: null, newer: [], older: null, loading: false };

  function detailText(value) {
    if (value === null || value === undefined) return '—';
    if (Array.isArray(value)) return value.length ? value.map(detailText).join(', ') : 'none';
    if (typeof value === 'object') return Object.keys(value).map(function (k) { return k + ' ' + detailText(value[k]); }).join(', ');
    return String(value);
  }

  function auditDetails(d) {
    var parts = Object.keys(d).filter(function (k) { return k !== 'by'; }).map(function (k) { return k + ': ' + detailText(d[k]); });
    var by = d.by;
    if (by && typeof by === 'object' && by.address) parts.push('by ' + (PRINCIPALS[by.principal] || by.principal) + ' from ' + by.address);
    else if (by !== undefined) parts.push('by: ' + detailText(by));
    return parts.join('; ');
  }

  function setPager(button, enabled) {
    if (enabled) button.removeAttribute('aria-disabled');
    else button.setAttribute('aria-disabled', 'true');
  }

  function renderAudit(page) {
    var body = el('audit-table').querySelector('tbody');
    body.replaceChildren();
    var entries = page.Entries;
    el('audit-empty').hidden = entries.length > 0;
    el('audit-table').parentNode.hidden = entries.length === 0;
    entries.forEach(function (e) {
      var tr = document.createElement('tr');
      var th = node('th', String(e.seq));
      th.scope = 'row';
      tr.appendChild(th);
      cell(tr, e.at.slice(0, 19).replace('T', ' '));
      cell(tr, AUDIT_LABELS[e.kind] || e.kind);
      cell(tr, auditDetails(e.details || {}), 'audit-details');
      cell(tr, e.hash.slice(0, 16) + '…', 'hash').title = 'SHA-256 ' + e.hash;
      body.appendChild(tr);
    });
    audit.older = page.Older;
    setPager(el('audit-newer'), audit.newer.length > 0);
    setPager(el('audit-older'), page.Older !== null);
    el('audit-position').textContent = entries.length
      ? 'Entries ' + entries[0].seq + ' to ' + entries[entries.length - 1].seq + ', newest first.'
      : '';
  }

  function loadAudit() {
    audit.loading = true;
    el('audit-error').textContent = '';
    var path = '/api/audit/page' + (audit.before === null ? '' : '?before=' + encodeURIComponent(audit.before));
    return api.get(path).then(function (res) {
      if (!res.ok || !res.data) el('audit-error').textContent = window.ConnectorApi.explain(res);
      else renderAudit(res.data);
    }).then(function () {
      audit.loading = false;
    });
  }

  function render(report) {
    renderHealth(report.Health);
    renderJobs(report.Jobs);
    renderCharts(report.Jobs);
    renderTasks(report.Tasks);
    renderDeletions(report.Deletions);
    el('cap-value').textContent = count(report.DailyItemCap);
    refreshMessage.textContent = 'Updated ' + formatTime(report.GeneratedAt) + ' UTC.';
  }

  function load() {
    return api.get('/api/status').then(function (res) {
      if (!res.ok || !res.data) throw res;
      render(res.data);
      // A refresh shows the newest entries again.
      audit.before = null;
      audit.newer = [];
      return loadAudit();
    });
  }

  el('signin-form').addEventListener('submit', function (event) {
    event.preventDefault();
    signinMessage.textContent = '';
    var tenantId = el('tenant-id').value.trim();
    var secret = el('api-secret-key').value;
    if (!tenantId || !secret) {
      signinMessage.textContent = 'Enter both the Tenant Id and the APISecretKey.';
      return;
    }
    api = window.ConnectorApi(tenantId, secret);
    load().then(function () {
      el('api-secret-key').value = '';
      el('signin-section').hidden = true;
      el('status-section').hidden = false;
      el('health-heading').focus();
    }, function (res) {
      api = null;
      signinMessage.textContent = window.ConnectorApi.explain(res);
    });
  });

  var loading = false;
  refreshButton.addEventListener('click', function () {
    // Not `disabled`: that would drop keyboard focus from the button while it loads.
    if (loading) return;
    loading = true;
    refreshError.textContent = '';
    refreshMessage.textContent = 'Refreshing...';
    load().catch(function (res) {
      refreshMessage.textContent = '';
      refreshError.textContent = window.ConnectorApi.explain(res);
    }).then(function () {
      loading = false;
    });
  });

  // Not `disabled` at either end: that would drop keyboard focus from the button just used.
  el('audit-older').addEventListener('click', function () {
    if (audit.loading || audit.older === null) return;
    audit.newer.push(audit.before);
    audit.before = audit.older;
    loadAudit();
  });
  el('audit-newer').addEventListener('click', function () {
    if (audit.loading || !audit.newer.length) return;
    audit.before = audit.newer.pop();
    loadAudit();
  });

  el('signout-button').addEventListener('click', function () {
    api = null;
    el('status-section').hidden = true;
    el('signin-section').hidden = false;
    el('tenant-id').focus();
  });
})();
