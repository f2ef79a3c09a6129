// The status page refreshes itself from status.json. Every value is set with textContent, never as markup:
// whatever a server or a setting says shows as text.
(function () {
  'use strict';
  var refresh = parseInt(document.body.getAttribute('data-refresh'), 10) || 2000;

  function text(v) { return v === null || v === undefined ? '' : String(v); }
  function cssState(s) { return s === 'up' || s === 'draining' ? 'ok' : s === 'standing by' ? 'standby' : 'bad'; }
  function cell(tr, value, cls) {
    var td = document.createElement('td');
    td.textContent = text(value);
    if (cls) { td.className = cls; }
    tr.appendChild(td);
  }
  function body(id, rows) {
    var tbody = document.querySelector('#' + id + ' tbody');
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    rows.forEach(function (tr) { tbody.appendChild(tr); });
  }
  function row(cls) { var tr = document.createElement('tr'); if (cls) { tr.className = cls; } return tr; }

  function render(view) {
    document.getElementById('as-of').textContent = text(view.time);
    body('connections', (view.connections || []).map(function (c) {
      var tr = row(cssState(c.state));
      [c.id, c.state, c.why, c.user, c.server, c.mode, c.lastMessage].forEach(function (v) { cell(tr, v); });
      return tr;
    }));
    var head = document.querySelector('#licenses thead tr');
    while (head.children.length > 1) { head.removeChild(head.lastChild); }
    var licenses = view.licenses || [];
    licenses.forEach(function (l) { var th = document.createElement('th'); th.textContent = text(l); head.appendChild(th); });
    body('licenses', (view.connections || []).filter(function (c) { return c.licenses; }).map(function (c) {
      var tr = row();
      cell(tr, text(c.user) + ' (' + text(c.id) + ')');
      licenses.forEach(function (l) {
        var has = Object.prototype.hasOwnProperty.call(c.licenses, l);
        var v = c.licenses[l];
        var s = !has ? '' : v === null ? 'unknown' : v ? 'assigned' : 'not assigned';
        cell(tr, s, s.replace(' ', '-'));
      });
      return tr;
    }));
    body('changes', (view.changes || []).map(function (c) {
      var tr = row();
      [c.time, c.changeType, c.license, c.user, c.id].forEach(function (v) { cell(tr, v); });
      return tr;
    }));
    body('targets', (view.targets || []).map(function (t) {
      var tr = row(cssState(t.state));
      [t.target, t.state, t.depth, t.delivered, t.deadLettered, t.lastError].forEach(function (v) { cell(tr, v); });
      return tr;
    }));
  }

  function tick() {
    fetch('status.json', { cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (view) { render(view); document.body.classList.remove('stale'); })
      .catch(function () { document.body.classList.add('stale'); })
      .then(function () { setTimeout(tick, refresh); });
  }
  setTimeout(tick, refresh);
})();
