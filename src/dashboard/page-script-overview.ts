// The page script's overview and queue views (part of app.js): every queue with its groups'
// counts, lag, pause, limits, room and activity, and a queue's schedulers.

/** The overview and queue views of app.js. */
export const PAGE_SCRIPT_OVERVIEW = `function countCell(queue, group, state, n) {
  const cls = 'num count' + (n > 0 ? ' c-' + state : ' zero');
  return h('td', { class: cls }, h('a', { href: link('q', queue, 'g', group, 's', state) }, fmtNum(n)));
}

function groupStatus(g) {
  const out = [g.paused ? badge('Paused', 'warn') : badge('Running', 'ok')];
  if (g.limited.now) {
    const until = g.limited.until ? 'until ' + new Date(g.limited.until).toLocaleTimeString() : '';
    out.push(badge('Rate limited', 'limit', until));
  }
  if (g.rateLimit) out.push(h('span', { class: 'muted small' }, fmtRate(g.rateLimit)));
  return out;
}

function activityCells(activity) {
  if (!activity) return [h('td', { class: 'muted' }, '–'), h('td', { class: 'num muted' }, '–')];
  const done = activity.perMinute.completed;
  const failed = activity.perMinute.failed;
  const total = done.reduce((a, b) => a + b, 0);
  const fails = failed.reduce((a, b) => a + b, 0);
  const last = done.length ? done[done.length - 1] : 0;
  const title = fmtNum(total) + ' completed, ' + fmtNum(fails) + ' failed in the last hour';
  const spark = h(
    'div',
    { class: 'spark-cell', title },
    sparkline([
      { values: done, kind: 'ok' },
      { values: failed, kind: 'bad' },
    ]),
  );
  const rate = h('span', { class: 'small muted' }, fmtNum(last) + '/min');
  const wait = activity.waitMs ? fmtDur(activity.waitMs.p50) + ' / ' + fmtDur(activity.waitMs.p95) : '–';
  return [h('td', { class: 'activity' }, spark, rate), h('td', { class: 'num' }, wait)];
}

function groupsTable(q, activity) {
  const headers = ['Group', 'Status'].concat(
    STATES.map((s) => ({ label: s[0].toUpperCase() + s.slice(1), num: true })),
    [
      { label: 'Lag', num: true },
      { label: 'Oldest unread', num: true },
      'Throughput (1 h)',
      { label: 'Wait p50 / p95', num: true },
    ],
  );
  const rows = q.groups.map((g) =>
    h(
      'tr',
      { 'data-group': g.name },
      h('td', { class: 'name' }, h('a', { href: link('q', q.name, 'g', g.name) }, g.name)),
      h('td', { class: 'status' }, groupStatus(g)),
      STATES.map((s) => countCell(q.name, g.name, s, g.counts[s])),
      h('td', { class: 'num' }, (g.lag.exact ? '' : '≤ ') + fmtNum(g.lag.unread)),
      h('td', { class: 'num' }, g.oldestUnreadAgeMs === null ? '–' : fmtDur(g.oldestUnreadAgeMs)),
      activityCells(activity[g.name]),
    ),
  );
  return table(headers, rows, 'No consumer groups yet.');
}

function queueMeta(q) {
  const bits = [];
  if (q.partitions > 1) bits.push(badge(q.partitions + ' partitions', 'info'));
  if (q.maxLength !== null) {
    const used = q.maxLength - (q.room || 0);
    const pct = Math.min(100, Math.round((used / q.maxLength) * 100));
    const bar = h('span', { class: 'meter', title: fmtNum(q.room) + ' more jobs fit under maxLength ' + fmtNum(q.maxLength) });
    const fill = h('span', { class: 'fill' + (pct > 90 ? ' hot' : '') });
    fill.style.width = pct + '%';
    bar.append(fill);
    bits.push(h('span', { class: 'meta-item' }, 'Room ', bar, ' ', fmtNum(q.room), ' of ', fmtNum(q.maxLength)));
  }
  const sch = q.schedulers;
  if (sch.count > 0) {
    bits.push(
      h(
        'span',
        { class: 'meta-item' },
        fmtNum(sch.count) + ' schedulers',
        sch.next ? [' · next ', fmtWhen(sch.next.at)] : null,
      ),
    );
  }
  if (q.groupsTruncated) bits.push(badge('first ' + q.groups.length + ' groups', 'warn'));
  return h('div', { class: 'queue-meta' }, bits);
}

function queueCard(entry) {
  const q = entry.overview;
  return h(
    'section',
    { class: 'card', 'data-queue': q.name },
    h('header', { class: 'card-head' }, h('h2', {}, h('a', { href: link('q', q.name) }, q.name)), queueMeta(q)),
    groupsTable(q, entry.activity),
  );
}

function totals(queues) {
  const t = { waiting: 0, active: 0, delayed: 0, failed: 0 };
  for (const e of queues) for (const g of e.overview.groups) for (const k of Object.keys(t)) t[k] += g.counts[k];
  return t;
}

async function viewOverview() {
  const data = await api('api/queues?limit=' + QUEUES_PER_PAGE + '&offset=' + (S.queueOffset || 0));
  const t = totals(data.queues);
  const tiles = h(
    'div',
    { class: 'tiles' },
    h(
      'div',
      { class: 'tile' },
      h('span', { class: 'tile-n' }, fmtNum(data.names.length)),
      h('span', { class: 'tile-l' }, 'Queues'),
    ),
    ['waiting', 'active', 'delayed', 'failed'].map((k) =>
      h('div', { class: 'tile t-' + k }, h('span', { class: 'tile-n' }, fmtNum(t[k])), h('span', { class: 'tile-l' }, k)),
    ),
  );
  const more = data.names.length > data.queues.length || data.offset > 0;
  return [
    h('div', { class: 'page-head' }, h('h1', {}, 'Queues')),
    tiles,
    data.queues.length === 0 ? h('p', { class: 'empty' }, 'No queues under this prefix yet.') : data.queues.map(queueCard),
    more ? queuePager(data) : null,
  ];
}

const QUEUES_PER_PAGE = 50;

function queuePager(data) {
  const go = (offset) => () => {
    S.queueOffset = offset;
    refresh();
  };
  const last = data.offset + data.queues.length;
  return h(
    'div',
    { class: 'pager' },
    h('span', { class: 'muted small' }, 'Queues ' + (data.offset + 1) + '–' + last + ' of ' + fmtNum(data.names.length)),
    h(
      'button',
      {
        class: 'btn ghost small',
        type: 'button',
        disabled: data.offset === 0,
        onclick: go(Math.max(0, data.offset - QUEUES_PER_PAGE)),
      },
      'Previous',
    ),
    h('button', { class: 'btn ghost small', type: 'button', disabled: last >= data.names.length, onclick: go(last) }, 'Next'),
  );
}

function schedulersPanel(data) {
  const rows = data.schedulers.map((s) =>
    h(
      'tr',
      {},
      h('td', { class: 'mono' }, s.key),
      h('td', {}, s.name),
      h('td', { class: 'mono' }, s.pattern !== null ? s.pattern : s.every !== null ? 'every ' + fmtDur(s.every) : '–'),
      h('td', {}, fmtWhen(s.next)),
    ),
  );
  const note =
    data.total > data.schedulers.length ? h('p', { class: 'muted small' }, 'First 100 of ' + fmtNum(data.total)) : null;
  return panel('Schedulers', table(['Key', 'Job name', 'Repeat', 'Next fire'], rows, 'No schedulers.'), note);
}

async function viewQueue(route) {
  const base = 'api/queues/' + enc(route.queue);
  const [entry, sch] = await Promise.all([api(base), api(base + '/schedulers')]);
  return [crumbs(route), h('div', { class: 'page-head' }, h('h1', {}, route.queue)), queueCard(entry), schedulersPanel(sch)];
}
`;
