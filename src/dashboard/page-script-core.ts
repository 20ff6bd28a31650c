// The page script's helpers (part of app.js): building elements from text only (never HTML), the
// API calls with the CSRF header, formatting, sparklines, the confirmation dialog, the router.

/** The helpers of app.js. */
export const PAGE_SCRIPT_CORE = String.raw`'use strict';
// Every value from the server reaches the page as text (textContent / text nodes): never as HTML.
const S = { session: null, seq: 0, timer: null, last: '', dialogOpen: false, cursors: [], keyCursor: '0' };
const STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'waiting-children'];

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'onclick') el.addEventListener('click', v);
    else el.setAttribute(k, String(v));
  }
  append(el, kids);
  return el;
}

function append(el, kids) {
  for (const kid of kids.flat(Infinity)) {
    if (kid === undefined || kid === null || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

function svg(tag, attrs) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  return el;
}

const enc = encodeURIComponent;
const link = (...parts) => '#/' + parts.map(enc).join('/');

async function api(path, method) {
  const init = { method: method || 'GET', credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (method === 'POST') init.headers['X-CSRF-Token'] = S.session.csrfToken;
  const res = await fetch(path, init);
  let body = {};
  try {
    body = await res.json();
  } catch (_) {
    body = {};
  }
  if (!res.ok) {
    const err = new Error(body.error || 'HTTP ' + res.status);
    err.status = res.status;
    throw err;
  }
  return body;
}

function fmtNum(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : '–';
}

function fmtDur(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return Math.round(ms) + ' ms';
  const s = Math.round(ms / 1000);
  const two = (big, bu, small, su) => big + bu + (small ? ' ' + small + su : '');
  if (s < 60) return s + 's';
  const m = Math.floor(s / 60);
  if (m < 60) return two(m, 'm', s % 60, 's');
  const hr = Math.floor(m / 60);
  if (hr < 48) return two(hr, 'h', m % 60, 'm');
  return two(Math.floor(hr / 24), 'd', hr % 24, 'h');
}

function fmtWhen(ts) {
  if (!ts) return h('span', { class: 'muted' }, '–');
  const diff = Date.now() - ts;
  const text = diff >= 0 ? fmtDur(diff) + ' ago' : 'in ' + fmtDur(-diff);
  return h('time', { datetime: new Date(ts).toISOString(), title: new Date(ts).toLocaleString() }, text);
}

// An absolute time (local), for a job's page, which is not redrawn while the job stays the same.
function fmtStamp(ts) {
  if (!ts) return h('span', { class: 'muted' }, '–');
  const d = new Date(ts);
  const two = (n) => String(n).padStart(2, '0');
  const today = d.toDateString() === new Date().toDateString();
  const day = d.getFullYear() + '-' + two(d.getMonth() + 1) + '-' + two(d.getDate());
  const text = today
    ? two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds())
    : day + ' ' + two(d.getHours()) + ':' + two(d.getMinutes());
  return h('time', { datetime: d.toISOString(), title: d.toLocaleString() }, text);
}

function json(value) {
  try {
    return JSON.stringify(value, null, 2) ?? 'undefined';
  } catch (_) {
    return String(value);
  }
}

function badge(text, kind, title) {
  return h('span', { class: 'badge ' + (kind || ''), title }, text);
}

function stateBadge(state) {
  return badge(state, 'st-' + state);
}

// Lines of a group's throughput on one scale: completed (with a light area) and failed (only when any failed).
function sparkline(series, width, height, stretch) {
  const w = width || 120;
  const hgt = height || 28;
  const attrs = { class: 'spark', viewBox: '0 0 ' + w + ' ' + hgt, width: w, height: hgt, role: 'img' };
  if (stretch) attrs.preserveAspectRatio = 'none';
  const el = svg('svg', attrs);
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  for (const s of series) {
    if (!s.values.some((v) => v > 0)) continue;
    const step = w / Math.max(1, s.values.length - 1);
    const pts = s.values.map((v, i) => (i * step).toFixed(1) + ',' + (hgt - 1 - (v / max) * (hgt - 3)).toFixed(1)).join(' ');
    if (s.kind === 'ok') el.append(svg('polygon', { points: '0,' + hgt + ' ' + pts + ' ' + w + ',' + hgt, class: 'area' }));
    el.append(svg('polyline', { points: pts, class: 'line ' + s.kind }));
  }
  return el;
}

function fmtRate(r) {
  const per = { 1000: '/s', 60000: '/min', 3600000: '/h' }[r.duration] || ' per ' + fmtDur(r.duration);
  return 'limit ' + fmtNum(r.max) + per;
}

function toast(text, error) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.className = error ? 'toast error' : 'toast';
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    el.hidden = true;
  }, 4000);
}

// A confirmation dialog (an HTML <dialog>, not window.confirm): resolves with the extra field's value, or null.
function confirmAction(title, message, confirmLabel, extra) {
  const dlg = document.getElementById('confirm');
  dlg.querySelector('.dlg-title').textContent = title;
  dlg.querySelector('.dlg-message').textContent = message;
  const slot = dlg.querySelector('.dlg-extra');
  slot.replaceChildren(...(extra ? [extra] : []));
  const ok = dlg.querySelector('.dlg-ok');
  ok.textContent = confirmLabel;
  ok.className = 'btn dlg-ok ' + (confirmLabel === 'Delete' || confirmLabel === 'Remove' ? 'danger-solid' : 'primary');
  S.dialogOpen = true;
  return new Promise((resolve) => {
    const done = (value) => {
      ok.removeEventListener('click', onOk);
      dlg.removeEventListener('close', onClose);
      S.dialogOpen = false;
      if (dlg.open) dlg.close();
      resolve(value);
    };
    const onOk = (e) => {
      e.preventDefault();
      done(extra && extra.querySelector('select') ? extra.querySelector('select').value : '');
    };
    const onClose = () => done(null);
    ok.addEventListener('click', onOk);
    dlg.addEventListener('close', onClose);
    dlg.showModal();
  });
}

async function act(title, message, label, path, doneText, extra, query) {
  const value = await confirmAction(title, message, label, extra);
  if (value === null) return false;
  let done = false;
  try {
    const res = await api(path + (query ? query(value) : ''), 'POST');
    toast(typeof res.count === 'number' ? doneText + ' (' + fmtNum(res.count) + ')' : doneText);
    done = true;
  } catch (err) {
    toast(err.message, true);
  }
  refresh();
  return done;
}

function actionButton(label, kind, onclick) {
  if (S.session.readOnly) return null;
  return h('button', { class: 'btn ' + (kind || ''), type: 'button', onclick }, label);
}

function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  let dec;
  try {
    dec = parts.map(decodeURIComponent);
  } catch (_) {
    dec = [];
  }
  if (dec[0] === 'q' && dec[1] !== undefined) {
    const r = { queue: dec[1] };
    if (dec[2] === 'g' && dec[3] !== undefined) {
      r.group = dec[3];
      if (dec[4] === 'j' && dec[5] !== undefined) r.job = dec[5];
      else r.state = STATES.includes(dec[5]) ? dec[5] : 'waiting';
    }
    return r;
  }
  return {};
}

function crumbs(route) {
  const items = [h('a', { href: '#/' }, 'Queues')];
  if (route.queue !== undefined) items.push(h('a', { href: link('q', route.queue) }, route.queue));
  if (route.group !== undefined) items.push(h('a', { href: link('q', route.queue, 'g', route.group) }, route.group));
  if (route.job !== undefined) items.push(h('span', {}, 'Job ' + route.job));
  const nav = h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' });
  items.forEach((item, i) => {
    if (i > 0) nav.append(h('span', { class: 'sep' }, '/'));
    nav.append(item);
  });
  return nav;
}

function panel(title, ...body) {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...body);
}

function facts(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))),
  );
}

function table(headers, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty || 'Nothing here.');
  return h(
    'table',
    { class: 'grid' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((x) => h('th', { class: x.num ? 'num' : '' }, x.label || x)),
      ),
    ),
    h('tbody', {}, rows),
  );
}
`;
