// The page script's group view (part of app.js): jobs per state in pages, the group's actions,
// its activity, workers and blocked ordering keys.

/** The group view of app.js. */
export const PAGE_SCRIPT_GROUP = `function graceSelect() {
  const sel = h(
    'select',
    { 'aria-label': 'Older than' },
    [
      ['0', 'any age'],
      ['60000', '1 minute'],
      ['3600000', '1 hour'],
      ['86400000', '1 day'],
      ['604800000', '1 week'],
    ].map(([v, l]) => h('option', { value: v }, l)),
  );
  sel.value = '3600000';
  return h('label', { class: 'field' }, 'Older than ', sel);
}

function groupActions(route, g) {
  if (S.session.readOnly) return null;
  const base = 'api/queues/' + enc(route.queue) + '/groups/' + enc(route.group) + '/';
  const who = '"' + route.group + '" of queue "' + route.queue + '"';
  const clean = (state) =>
    actionButton('Clean ' + state, 'ghost', () =>
      act(
        'Clean ' + state + ' jobs',
        'Delete the ' + state + ' jobs of group ' + who + '.',
        'Delete',
        base + 'clean',
        'Cleaned',
        graceSelect(),
        (v) => '?state=' + state + '&graceMs=' + enc(v),
      ),
    );
  return h(
    'div',
    { class: 'actions' },
    g.paused
      ? actionButton('Resume', 'primary', () =>
          act('Resume group', 'Let the workers of group ' + who + ' start jobs again.', 'Resume', base + 'resume', 'Resumed'),
        )
      : actionButton('Pause', '', () =>
          act('Pause group', 'Stop the workers of group ' + who + ' from starting jobs.', 'Pause', base + 'pause', 'Paused'),
        ),
    actionButton('Retry all failed', '', () =>
      act(
        'Retry all failed jobs',
        'Run every failed job of group ' + who + ' again.',
        'Retry all',
        base + 'retry-failed',
        'Retried',
      ),
    ),
    clean('completed'),
    clean('failed'),
  );
}

function jobRow(route, state, j) {
  const href = link('q', route.queue, 'g', route.group, 'j', j.id);
  const cells = [
    h('td', { class: 'mono' }, h('a', { href }, j.id)),
    h('td', { class: 'name' }, j.name),
    h('td', { class: 'mono preview' }, j.dataPreview),
    h('td', {}, fmtWhen(j.timestamp)),
  ];
  if (state === 'failed')
    cells.push(h('td', { class: 'reason' }, j.failedReason || ''), h('td', { class: 'num' }, fmtNum(j.attemptsMade)));
  if (state === 'completed' || state === 'failed') cells.push(h('td', {}, fmtWhen(j.finishedOn)));
  if (state === 'active') cells.push(h('td', {}, fmtWhen(j.processedOn)));
  if (state === 'failed' && !S.session.readOnly) {
    const path = 'api/queues/' + enc(route.queue) + '/groups/' + enc(route.group) + '/jobs/' + enc(j.id) + '/retry';
    cells.push(
      h(
        'td',
        {},
        actionButton('Retry', 'small', () => act('Retry job', 'Run job "' + j.id + '" again.', 'Retry', path, 'Retried')),
      ),
    );
  }
  return h('tr', { 'data-job': j.id }, cells);
}

function jobHeaders(state) {
  const heads = ['ID', 'Name', 'Data', 'Added'];
  if (state === 'failed') heads.push('Reason', { label: 'Attempts', num: true });
  if (state === 'completed' || state === 'failed') heads.push('Finished');
  if (state === 'active') heads.push('Started');
  if (state === 'failed' && !S.session.readOnly) heads.push('');
  return heads;
}

function pager(next) {
  const first = S.cursors.length > 0;
  if (!first && !next) return null;
  return h(
    'div',
    { class: 'pager' },
    h(
      'button',
      {
        class: 'btn ghost small',
        type: 'button',
        disabled: !first,
        onclick: () => {
          S.cursors = [];
          S.last = '';
          refresh();
        },
      },
      'First page',
    ),
    h(
      'button',
      {
        class: 'btn ghost small',
        type: 'button',
        disabled: !next,
        onclick: () => {
          S.cursors.push(next);
          S.last = '';
          refresh();
        },
      },
      'Next page',
    ),
  );
}

function activityPanel(a) {
  if (!a) return panel('Activity', h('p', { class: 'empty' }, 'No activity metrics recorded for this group.'));
  const sum = (xs) => xs.reduce((x, y) => x + y, 0);
  const pct = (p) => (p ? fmtDur(p.p50) + ' / ' + fmtDur(p.p95) : '–');
  return panel(
    'Activity',
    h(
      'div',
      { class: 'activity-big' },
      sparkline(
        [
          { values: a.perMinute.completed, kind: 'ok' },
          { values: a.perMinute.failed, kind: 'bad' },
        ],
        600,
        64,
        true,
      ),
    ),
    facts([
      ['Completed (1 h)', fmtNum(sum(a.perMinute.completed))],
      ['Failed (1 h)', fmtNum(sum(a.perMinute.failed))],
      ['Wait p50 / p95', pct(a.waitMs)],
      ['Processing p50 / p95', pct(a.processingMs)],
    ]),
  );
}

function workersPanel(data) {
  if (data.workers === null) return panel('Workers', h('p', { class: 'empty' }, 'This version cannot list workers.'));
  const rows = data.workers.map((w) =>
    h(
      'tr',
      {},
      h('td', {}, w.name),
      h('td', {}, w.host + ':' + w.pid),
      h('td', { class: 'num' }, w.running + ' / ' + w.concurrency),
      h('td', {}, fmtWhen(w.lastHeartbeat)),
    ),
  );
  return panel('Workers', table(['Name', 'Host:pid', { label: 'Running', num: true }, 'Last heartbeat'], rows, 'No workers.'));
}

function keysPanel(data) {
  const rows = data.keys.map((k) =>
    h(
      'tr',
      {},
      h('td', { class: 'mono' }, k.key),
      h('td', { class: 'num' }, fmtNum(k.waiting)),
      h('td', { class: 'num' }, fmtNum(k.running)),
      h(
        'td',
        {},
        k.reason === 'rate-limit'
          ? ['Per-key rate limit until ', fmtWhen(k.until)]
          : 'All ' + data.keyConcurrency + ' slots held',
      ),
    ),
  );
  const nav = h('div', { class: 'pager' });
  if (S.keyCursor !== '0')
    nav.append(
      h(
        'button',
        {
          class: 'btn ghost small',
          type: 'button',
          onclick: () => {
            S.keyCursor = '0';
            refresh();
          },
        },
        'First page',
      ),
    );
  if (data.next)
    nav.append(
      h(
        'button',
        {
          class: 'btn ghost small',
          type: 'button',
          onclick: () => {
            S.keyCursor = data.next;
            refresh();
          },
        },
        'Next page',
      ),
    );
  return panel(
    'Blocked ordering keys',
    table(
      ['Key', { label: 'Waiting', num: true }, { label: 'Running', num: true }, 'Why'],
      rows,
      'No blocked ordering keys in this page of the key index.',
    ),
    nav,
  );
}

async function viewGroup(route) {
  const q = 'api/queues/' + enc(route.queue);
  const g = q + '/groups/' + enc(route.group);
  const cursor = S.cursors.length ? '&cursor=' + enc(S.cursors[S.cursors.length - 1]) : '';
  const [entry, page, workers, keys] = await Promise.all([
    api(q),
    api(g + '/jobs?state=' + route.state + '&count=25' + cursor),
    api(g + '/workers'),
    api(g + '/blocked-keys?cursor=' + enc(S.keyCursor)),
  ]);
  const go = entry.overview.groups.find((x) => x.name === route.group);
  if (!go) return [crumbs(route), h('p', { class: 'empty' }, 'No group "' + route.group + '" in this queue.')];
  const tabs = h(
    'div',
    { class: 'tabs', role: 'tablist' },
    STATES.map((s) =>
      h(
        'a',
        {
          href: link('q', route.queue, 'g', route.group, 's', s),
          class: 'tab' + (s === route.state ? ' on' : ''),
          role: 'tab',
          'data-state': s,
        },
        s,
        h('span', { class: 'tab-n' }, fmtNum(go.counts[s])),
      ),
    ),
  );
  return [
    crumbs(route),
    h('div', { class: 'page-head' }, h('h1', {}, route.group, ' ', groupStatus(go)), groupActions(route, go)),
    tabs,
    h(
      'section',
      { class: 'panel flush' },
      table(
        jobHeaders(route.state),
        page.jobs.map((j) => jobRow(route, route.state, j)),
        'No ' + route.state + ' jobs.',
      ),
      pager(page.next),
    ),
    h('div', { class: 'cols' }, activityPanel(entry.activity[route.group]), workersPanel(workers)),
    keysPanel(keys),
  ];
}
`;
