// The page script's job view and its refresh loop (part of app.js): a job whole, with its
// explanation, failure, logs and timeline; the views are redrawn every refresh.

/** The job view and refresh loop of app.js. */
export const PAGE_SCRIPT_JOB = String.raw`function explainPanel(job) {
  if (job.explain) {
    return panel(
      'Why is it ' + job.explain.state + '?',
      h('p', { class: 'explain' }, badge(job.explain.reason, 'info'), ' ', job.explain.message),
      Object.keys(job.explain.details || {}).length ? h('pre', { class: 'code' }, json(job.explain.details)) : null,
    );
  }
  if (job.state === 'waiting' || job.state === 'delayed') {
    return panel(
      "Why isn't it running?",
      h('p', { class: 'empty' }, 'No explanation available from this version of the queue.'),
    );
  }
  return null;
}

function clock(ts) {
  const d = new Date(ts);
  const two = (n) => String(n).padStart(2, '0');
  return (
    two(d.getHours()) +
    ':' +
    two(d.getMinutes()) +
    ':' +
    two(d.getSeconds()) +
    '.' +
    String(d.getMilliseconds()).padStart(3, '0')
  );
}

function timelinePanel(t) {
  const items = t.events.map((e) =>
    h(
      'li',
      { class: 'ev ev-' + e.event },
      h('span', { class: 'ev-dot' }),
      h('span', { class: 'ev-name' }, e.event),
      h('span', { class: 'ev-time', title: new Date(e.at).toLocaleString() }, clock(e.at)),
      e.delay ? h('span', { class: 'muted small' }, 'delay ' + fmtDur(e.delay)) : null,
      e.reason ? h('span', { class: 'ev-reason' }, e.reason) : null,
    ),
  );
  const note =
    'From the newest ' + fmtNum(t.scanned) + ' entries of the event stream (at most ' + fmtNum(t.bound) + ' are read).';
  return panel(
    'Timeline',
    items.length ? h('ol', { class: 'timeline' }, items) : h('p', { class: 'empty' }, 'No events of this job found.'),
    h('p', { class: 'muted small' }, note),
  );
}

function jobActions(route, job) {
  if (S.session.readOnly) return null;
  const base = 'api/queues/' + enc(route.queue) + '/groups/' + enc(route.group) + '/jobs/' + enc(job.id) + '/';
  const back = () => {
    location.hash = link('q', route.queue, 'g', route.group, 's', job.state);
  };
  return h(
    'div',
    { class: 'actions' },
    job.state === 'failed' || job.state === 'completed'
      ? actionButton('Retry', 'primary', () =>
          act('Retry job', 'Run job "' + job.id + '" again.', 'Retry', base + 'retry', 'Retried'),
        )
      : null,
    job.state === 'delayed'
      ? actionButton('Promote', '', () =>
          act('Promote job', 'Run job "' + job.id + '" now.', 'Promote', base + 'promote', 'Promoted'),
        )
      : null,
    job.state !== 'active'
      ? actionButton('Remove', 'danger', async () => {
          if (await act('Remove job', 'Delete job "' + job.id + '" and its logs.', 'Remove', base + 'remove', 'Removed'))
            back();
        })
      : null,
  );
}

async function viewJob(route) {
  const job = await api('api/queues/' + enc(route.queue) + '/groups/' + enc(route.group) + '/jobs/' + enc(route.job));
  // redrawn only when the job changed, so that a selection in its stack or logs survives the refresh
  const seen = location.hash + JSON.stringify(job);
  if (seen === S.last) return null;
  S.last = seen;
  const progress = typeof job.progress === 'number' ? job.progress + '%' : json(job.progress);
  const logNote = 'The newest ' + job.logs.lines.length + ' of ' + fmtNum(job.logs.total) + ' lines.';
  const main = h(
    'div',
    { class: 'job-main' },
    explainPanel(job),
    job.failedReason !== null
      ? panel(
          'Failure',
          h('p', { class: 'failure' }, job.failedReason),
          job.stacktrace.length ? h('pre', { class: 'code stack' }, job.stacktrace.join('\n')) : null,
        )
      : null,
    h(
      'div',
      { class: 'cols' },
      panel('Data', h('pre', { class: 'code' }, json(job.data))),
      panel('Options', h('pre', { class: 'code' }, json(job.opts))),
    ),
    job.returnvalue !== null ? panel('Return value', h('pre', { class: 'code' }, json(job.returnvalue))) : null,
    panel(
      'Logs',
      job.logs.total === 0
        ? h('p', { class: 'empty' }, 'No log lines.')
        : [
            h('pre', { class: 'code logs' }, job.logs.lines.join('\n')),
            job.logs.total > job.logs.lines.length ? h('p', { class: 'muted small' }, logNote) : null,
          ],
    ),
  );
  const side = h(
    'aside',
    { class: 'job-side' },
    panel(
      'Details',
      facts([
        ['Added', fmtStamp(job.timestamp)],
        ['Started', fmtStamp(job.processedOn)],
        ['Finished', fmtStamp(job.finishedOn)],
        ['Progress', progress],
        ['Attempts failed', fmtNum(job.attemptsMade)],
        ['Deliveries', fmtNum(job.deliveries)],
        ['Stalls', fmtNum(job.stalls)],
        ['Group', job.group],
      ]),
    ),
    timelinePanel(job.timeline),
  );
  return [
    crumbs(route),
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, h('span', { class: 'job-name' }, job.name), ' ', stateBadge(job.state)),
      jobActions(route, job),
    ),
    h('p', { class: 'muted mono sub' }, 'id ' + job.id),
    h('div', { class: 'job-layout' }, main, side),
  ];
}

async function refresh() {
  clearTimeout(S.timer);
  const seq = ++S.seq;
  const route = parseRoute();
  const live = document.getElementById('live');
  try {
    const view =
      route.job !== undefined
        ? viewJob
        : route.group !== undefined
          ? viewGroup
          : route.queue !== undefined
            ? viewQueue
            : viewOverview;
    const nodes = await view(route);
    if (seq !== S.seq) return;
    if (S.dialogOpen)
      S.last = ''; // drawn once the dialog closes
    else if (nodes !== null) {
      const main = document.getElementById('main');
      main.replaceChildren(...[nodes].flat(Infinity).filter((n) => n));
      main.setAttribute('data-ready', '1');
    }
    live.textContent = 'Live · ' + clock(Date.now()).slice(0, 8);
    live.className = 'live';
  } catch (err) {
    if (seq !== S.seq) return;
    live.textContent = 'Error: ' + err.message;
    live.className = 'live down';
    if (err.status === 404)
      document.getElementById('main').replaceChildren(crumbs(route), h('p', { class: 'empty' }, err.message));
  }
  if (seq === S.seq) S.timer = setTimeout(refresh, S.session.refreshMs);
}

async function boot() {
  S.session = await api('api/session');
  document.getElementById('prefix').textContent = 'prefix ' + S.session.prefix;
  document.getElementById('ro').hidden = !S.session.readOnly;
  document.body.setAttribute('data-readonly', S.session.readOnly ? '1' : '0');
  window.addEventListener('hashchange', () => {
    S.last = '';
    S.cursors = [];
    S.keyCursor = '0';
    window.scrollTo(0, 0);
    refresh();
  });
  refresh();
}

boot().catch((err) => {
  document.getElementById('live').textContent = 'Error: ' + err.message;
});
`;
