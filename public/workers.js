'use strict';
/* The status page's Workers and Running tasks: signs in with the same form as the rest of the
   page (the secret stays in memory here too), builds everything with textContent, and asks again
   every 2 s while a task runs (every 30 s otherwise), so its phase and counts move on their own. */
(function () {
  var api = null;
  var timer = null;
  var wasRunning = false;
  var el = function (id) { return document.getElementById(id); };
  var PHASES = { fetching: 'Fetching posts from X', counting: 'Counting against the daily cap', uploading: 'Uploading items', reporting: 'Reporting to Microsoft 365' };

  function node(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function time(iso) { return iso ? iso.slice(0, 19).replace('T', ' ') : '—'; }
  function count(n) { return Number(n).toLocaleString('en-US'); }
  function age(seconds) {
    if (seconds < 90) return seconds + ' s';
    if (seconds < 5400) return Math.round(seconds / 60) + ' min';
    return Math.round(seconds / 3600) + ' h';
  }

  function renderWorkers(w) {
    el('workers-alert').textContent = w.State === 'Ok' ? '' : w.Message;
    el('workers-queue').textContent = 'Queue: ' + count(w.QueueDepth) + (w.QueueDepth === 1 ? ' task' : ' tasks') +
      (w.OldestQueuedAgeSeconds !== null ? '; the oldest was queued ' + age(w.OldestQueuedAgeSeconds) + ' ago (' + time(w.OldestQueuedAt) + ' UTC).' : '.') +
      (w.State === 'Ok' ? ' ' + w.Message : '');
    var body = el('workers-table').querySelector('tbody');
    body.replaceChildren();
    el('workers-table').parentNode.hidden = w.Instances.length === 0;
    w.Instances.forEach(function (i) {
      var tr = document.createElement('tr');
      var th = node('th', i.Host);
      th.scope = 'row';
      tr.appendChild(th);
      [i.Mode === 'all' ? 'web and worker' : 'worker', i.Version, time(i.StartedAt), time(i.LastBeatAt), i.Task ? i.Task.JobId + ' / ' + i.Task.TaskId : '—'].forEach(function (t) { tr.appendChild(node('td', t)); });
      var td = node('td');
      td.appendChild(node('span', i.Alive ? 'Running' : i.StoppedAt ? 'Stopped' : 'Not beating', 'badge ' + (i.Alive ? 'badge-ok' : i.StoppedAt ? 'badge-warn' : 'badge-bad')));
      tr.appendChild(td);
      body.appendChild(tr);
    });
  }

  function progressText(p) {
    var parts = [PHASES[p.phase] || p.phase, count(p.postsFetched) + ' posts fetched'];
    if (p.itemsTotal !== null) parts.push(count(p.itemsUploaded) + ' of ' + count(p.itemsTotal) + ' items uploaded');
    parts.push(count(p.attachmentsSkipped) + ' attachments skipped');
    if (p.resumesAt) parts.push("waiting for X's rate-limit reset; resumes at " + time(p.resumesAt) + ' UTC');
    return parts.join(' · ');
  }

  function renderRunning(tasks) {
    var list = el('running-tasks');
    list.replaceChildren();
    var running = tasks.filter(function (t) { return t.Progress; });
    el('running-empty').hidden = running.length > 0;
    running.forEach(function (t) {
      var li = node('li', null, 'running-task');
      li.appendChild(node('strong', t.JobId + ' / ' + t.TaskId));
      li.appendChild(document.createTextNode(': '));
      li.appendChild(node('span', progressText(t.Progress), 'task-progress'));
      li.appendChild(node('span', ' (updated ' + time(t.Progress.updatedAt) + ' UTC)', 'muted'));
      list.appendChild(li);
    });
    return running.length > 0;
  }

  function schedule(ms) {
    window.clearTimeout(timer);
    timer = window.setTimeout(load, ms);
  }

  function load() {
    if (!api) return;
    api.get('/api/status').then(function (res) {
      if (!api) return;
      // Wrong credentials: asking again would only count as failed sign-ins.
      if (res.status === 401 || res.status === 429) { api = null; return; }
      if (!res.ok || !res.data) { schedule(30000); return; }
      renderWorkers(res.data.Workers);
      var running = renderRunning(res.data.Tasks);
      // A task just finished: the rest of the page shows its outcome too.
      if (wasRunning && !running) el('refresh-button').click();
      wasRunning = running;
      schedule(running ? 2000 : 30000);
    });
  }

  el('signin-form').addEventListener('submit', function () {
    var tenantId = el('tenant-id').value.trim();
    var secret = el('api-secret-key').value;
    if (!tenantId || !secret) return;
    api = window.ConnectorApi(tenantId, secret);
    load();
  });
  el('refresh-button').addEventListener('click', function () { if (api && !wasRunning) schedule(0); });
  el('signout-button').addEventListener('click', function () {
    api = null;
    window.clearTimeout(timer);
  });
})();
