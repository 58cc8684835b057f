'use strict';
/* The status page's "What X charges" section: this month's reads per source and their estimated
   cost, what the admin must act on (credits spent, a missing X app permission, the budget reached)
   and the notes of recent tasks. Signs in with the page's form (the secret stays in memory) and
   builds everything with textContent, never innerHTML. */
(function () {
  var api = null;
  var el = function (id) { return document.getElementById(id); };

  function node(tag, text, className) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (className) e.className = className;
    return e;
  }
  // Cents, unless the amount is below a cent (a few reads at US$0.001).
  function usd(n) { return n.toFixed(n > 0 && n < 0.01 ? 4 : 2); }
  function count(n) { return Number(n).toLocaleString('en-US'); }

  function row(cells, head) {
    var tr = document.createElement('tr');
    cells.forEach(function (text, i) {
      var c = node(i === 0 ? 'th' : 'td', text, i === 0 ? '' : 'num');
      if (i === 0) c.scope = 'row';
      tr.appendChild(c);
    });
    if (head) tr.className = 'total';
    return tr;
  }

  function render(cost) {
    var a = cost.Archiving;
    var on = ['Posts by the account'];
    if (a.Mentions) on.push('Replies and mentions by others');
    if (a.DirectMessages) on.push('Direct messages');
    el('xcost-archiving').textContent = 'Every job archives: ' + on.join(', ') + '.' +
      (a.PausedByBudget ? ' Replies, mentions and direct messages are paused by the monthly budget.' : '') +
      (!a.Mentions || !a.DirectMessages ? ' Turn the others on under "What to archive" on the Configure page.' : '');

    var notices = el('xcost-notices');
    notices.replaceChildren();
    cost.Notices.forEach(function (n) { notices.appendChild(node('li', n, 'error')); });

    el('xcost-caption').textContent = 'Reads from X in ' + cost.Month + ' (UTC), all jobs';
    var body = el('xcost-table').querySelector('tbody');
    body.replaceChildren();
    var total = { r: 0, p: 0, u: 0, d: 0 };
    cost.Sources.forEach(function (s) {
      total.r += s.Requests; total.p += s.Posts; total.u += s.Users; total.d += s.DmEvents;
      body.appendChild(row([s.Label, count(s.Requests), count(s.Posts), count(s.Users), count(s.DmEvents), usd(s.EstimateUsd)]));
    });
    var foot = el('xcost-table').querySelector('tfoot');
    foot.replaceChildren(row(['Total', count(total.r), count(total.p), count(total.u), count(total.d), usd(cost.EstimateUsd)], true));
    el('xcost-empty').hidden = cost.Sources.length > 0;

    var p = cost.Prices;
    el('xcost-prices').textContent = 'Prices: owned read US$' + p.OwnedReadUsd + ' (posts by the account and its mentions), post read US$' + p.PostReadUsd +
      ', user read US$' + p.UserReadUsd + ', DM event US$' + p.DmReadUsd + '.' +
      (cost.BudgetUsd !== null ? ' Monthly budget: US$' + usd(cost.BudgetUsd) + '.' : ' No monthly budget set (X_MONTHLY_BUDGET_USD).');

    var notes = el('xcost-notes');
    notes.replaceChildren();
    cost.TaskNotes.forEach(function (t) {
      var li = node('li');
      li.appendChild(node('strong', t.JobId + ' / ' + t.TaskId + ' (' + t.WindowStart.slice(0, 16).replace('T', ' ') + ' – ' + t.WindowEnd.slice(0, 16).replace('T', ' ') + '): '));
      li.appendChild(document.createTextNode(t.Notes.join(' ')));
      notes.appendChild(li);
    });
    el('xcost-notes-section').hidden = cost.TaskNotes.length === 0;
  }

  function load() {
    if (!api) return;
    api.get('/api/status').then(function (res) {
      if (!res.ok || !res.data || !res.data.XCost) return;
      render(res.data.XCost);
    });
  }

  el('signin-form').addEventListener('submit', function () {
    // The page's own script signs in with the same values; this section keeps its own copy in memory.
    var tenantId = el('tenant-id').value.trim();
    var secret = el('api-secret-key').value;
    if (!tenantId || !secret) return;
    api = window.ConnectorApi(tenantId, secret);
    load();
  });
  el('refresh-button').addEventListener('click', load);
  el('signout-button').addEventListener('click', function () { api = null; });
})();
