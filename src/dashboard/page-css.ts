// The dashboard's style sheet (served as app.css): a plain, light, dense operator's layout.

/** The style sheet served as app.css. */
export const PAGE_CSS = `:root {
  --bg: #f5f6f8; --panel: #fff; --ink: #1d2330; --muted: #6b7384; --line: #e3e6eb; --line2: #eef0f3;
  --accent: #2f6fed; --accent-ink: #fff; --ok: #1f9d61; --warn: #c7850a; --bad: #d64545; --info: #5b6cf0; --limit: #8a4fd8;
  --waiting: #2f6fed; --active: #0e9aa7; --delayed: #c7850a; --completed: #1f9d61; --failed: #d64545;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { margin: 0; }
body { background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.top { position: sticky; top: 0; z-index: 5; display: flex; align-items: center; gap: 14px; height: 52px; padding: 0 24px;
  background: #151a24; color: #e8ebf1; }
.brand { display: flex; align-items: center; gap: 9px; color: #fff; font-weight: 650; font-size: 17px; letter-spacing: .2px; }
.brand:hover { text-decoration: none; }
.logo { width: 20px; height: 20px; border-radius: 5px; background: linear-gradient(135deg, #4f8bff 0%, #2fc2b0 100%); }
.top .muted { color: #98a1b3; }
.spacer { flex: 1; }
.live { font-size: 12px; color: #9fe3bf; display: flex; align-items: center; gap: 6px; }
.live::before { content: ''; width: 8px; height: 8px; border-radius: 50%; background: #35c47c; }
.live.down { color: #ffb4b4; }
.live.down::before { background: var(--bad); }
main { max-width: 1320px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0; font-weight: 650; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
h2 { font-size: 15px; margin: 0 0 12px; font-weight: 600; }
.page-head { display: flex; align-items: center; justify-content: space-between; gap: 16px; margin: 6px 0 16px; flex-wrap: wrap; }
.crumbs { display: flex; gap: 8px; align-items: center; font-size: 13px; color: var(--muted); margin-bottom: 4px; }
.crumbs .sep { color: #b5bcc8; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.mono { font-family: var(--mono); font-size: 12.5px; }
.empty { color: var(--muted); margin: 8px 0; }
.tiles { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; margin-bottom: 18px; }
.tile { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px;
  display: flex; flex-direction: column; }
.tile-n { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
.tile-l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .5px; }
.tile { border-top: 3px solid #8a93a6; }
.tile.t-waiting { border-top: 3px solid var(--waiting); }
.tile.t-active { border-top: 3px solid var(--active); }
.tile.t-delayed { border-top: 3px solid var(--delayed); }
.tile.t-failed { border-top: 3px solid var(--failed); }
.card, .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; margin-bottom: 16px; }
/* a table wider than its card scrolls instead of losing its last columns */
.card { overflow: auto hidden; }
.card-head { display: flex; align-items: center; gap: 16px; padding: 12px 16px; border-bottom: 1px solid var(--line);
  flex-wrap: wrap; }
.card-head h2 { margin: 0; font-size: 16px; }
.queue-meta { display: flex; gap: 14px; align-items: center; color: var(--muted); font-size: 12.5px; flex-wrap: wrap; }
.meta-item { display: inline-flex; align-items: center; gap: 4px; }
.meter { display: inline-block; width: 70px; height: 6px; border-radius: 3px; background: var(--line2);
  overflow: hidden; margin: 0 4px; }
.meter .fill { display: block; height: 100%; background: var(--ok); }
.meter .fill.hot { background: var(--bad); }
.panel { padding: 16px; }
.panel.flush { padding: 0; overflow: hidden; }
.panel.flush .pager, .panel.flush .empty { padding: 0 16px 12px; }
.panel.flush .empty { padding-top: 12px; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.cols > .panel { min-width: 0; }
table.grid { width: 100%; border-collapse: collapse; font-size: 13px; }
.grid th { text-align: left; font-weight: 600; color: var(--muted); font-size: 11.5px; text-transform: uppercase;
  letter-spacing: .4px;
  padding: 8px 12px; border-bottom: 1px solid var(--line); background: #fafbfc; vertical-align: bottom; }
.grid td { padding: 8px 12px; border-bottom: 1px solid var(--line2); vertical-align: middle; }
.grid tr:last-child td { border-bottom: 0; }
.grid tbody tr:hover { background: #f8fafd; }
.grid .num { text-align: right; font-variant-numeric: tabular-nums; }
.grid td.num { white-space: nowrap; }
.grid td.name { font-weight: 550; }
.grid td.preview { max-width: 280px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: var(--muted); }
.grid td.reason { max-width: 320px; color: var(--bad); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.count a { color: inherit; font-weight: 600; }
.count.zero a { color: #b3b9c4; font-weight: 400; }
.c-waiting a { color: var(--waiting); }
.c-active a { color: var(--active); }
.c-delayed a { color: var(--delayed); }
.c-completed a { color: var(--completed); }
.c-failed a { color: var(--failed); }
.status { white-space: nowrap; }
.status > * { margin-right: 4px; }
.badge { display: inline-block; font-size: 11.5px; font-weight: 600; padding: 2px 8px; border-radius: 999px;
  background: var(--line2);
  color: var(--muted); line-height: 1.5; white-space: nowrap; vertical-align: middle; }
.badge.ok { background: #e6f6ee; color: var(--ok); }
.badge.warn { background: #fdf3df; color: #9a6506; }
.badge.limit { background: #f1e9fc; color: var(--limit); }
.badge.info { background: #eceffe; color: var(--info); }
.badge.ro { background: #3a2f12; color: #ffd479; }
.st-waiting { background: #e8f0fe; color: var(--waiting); }
.st-active { background: #e2f6f7; color: var(--active); }
.st-delayed { background: #fdf3df; color: #9a6506; }
.st-completed { background: #e6f6ee; color: var(--ok); }
.st-failed { background: #fdeaea; color: var(--bad); }
.activity { white-space: nowrap; }
.spark-cell { display: inline-block; vertical-align: middle; margin-right: 6px; }
.spark-cell > svg { display: block; }
.spark { overflow: visible; }
.spark .line { fill: none; stroke-width: 1.5; stroke-linejoin: round; stroke-linecap: round; vector-effect: non-scaling-stroke; }
.spark .line.ok { stroke: var(--ok); }
.spark .line.bad { stroke: var(--bad); }
.spark .area { fill: rgba(31, 157, 97, .12); stroke: none; }
.activity-big { margin-bottom: 14px; }
.activity-big > svg { display: block; width: 100%; height: 64px; }
.tabs { display: flex; gap: 4px; border-bottom: 1px solid var(--line); margin-bottom: 0; }
.tab { padding: 9px 14px; color: var(--muted); font-weight: 550; text-transform: capitalize; border-bottom: 2px solid transparent;
  margin-bottom: -1px; display: inline-flex; gap: 8px; align-items: center; }
.tab:hover { text-decoration: none; color: var(--ink); }
.tab.on { color: var(--ink); border-bottom-color: var(--accent); }
.tab-n { font-size: 11.5px; background: var(--line2); border-radius: 999px; padding: 0 7px; font-variant-numeric: tabular-nums; }
.tabs + .panel { border-top-left-radius: 0; border-top-right-radius: 0; border-top: 0; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; }
.btn { font: inherit; font-size: 13px; font-weight: 550; padding: 6px 14px; border-radius: 7px;
  border: 1px solid #cfd5de; background: #fff;
  color: var(--ink); cursor: pointer; }
.btn:hover { background: #f3f5f8; }
.btn:disabled { opacity: .45; cursor: default; }
.btn.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-ink); }
.btn.primary:hover { background: #255fd1; }
.btn.danger { color: var(--bad); border-color: #efc4c4; }
.btn.danger:hover { background: #fdf0f0; }
.btn.danger-solid { background: var(--bad); border-color: var(--bad); color: #fff; }
.btn.danger-solid:hover { background: #bf3636; }
.btn.ghost { background: transparent; }
.btn.small { padding: 3px 10px; font-size: 12px; }
.pager { display: flex; gap: 8px; justify-content: flex-end; align-items: center; margin-top: 10px; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px 20px; margin: 0; }
.facts dt { color: var(--muted); font-size: 11.5px; text-transform: uppercase; letter-spacing: .4px; }
.facts dd { margin: 2px 0 0; font-weight: 550; font-variant-numeric: tabular-nums; }
.code { font-family: var(--mono); font-size: 12.5px; background: #f7f8fa; border: 1px solid var(--line2);
  border-radius: 7px; padding: 12px;
  margin: 0; overflow: auto; max-height: 360px; white-space: pre-wrap; word-break: break-word; }
.code.stack { color: #7a2a2a; background: #fdf6f6; border-color: #f5dede; }
.failure { color: var(--bad); font-weight: 600; margin: 0 0 10px; white-space: pre-wrap; word-break: break-word; }
.job-name { word-break: break-all; }
.timeline { list-style: none; margin: 0; padding: 0 0 0 6px; }
.ev { display: flex; gap: 10px; align-items: baseline; padding: 5px 0 5px 14px; border-left: 2px solid var(--line);
  position: relative; flex-wrap: wrap; }
.ev-dot { position: absolute; left: -6px; top: 10px; width: 10px; height: 10px; border-radius: 50%;
  background: #b9c0cc; border: 2px solid #fff; }
.ev-completed .ev-dot { background: var(--ok); }
.ev-failed .ev-dot { background: var(--bad); }
.ev-retrying .ev-dot, .ev-stalled .ev-dot { background: var(--warn); }
.ev-active .ev-dot { background: var(--active); }
.ev-name { font-weight: 600; min-width: 80px; }
.ev-time { color: var(--muted); font-size: 12.5px; }
.ev-reason { color: var(--bad); font-size: 12.5px; }
.explain { margin: 0 0 8px; }
dialog { border: 0; border-radius: 12px; padding: 22px 24px 18px; width: 420px; max-width: calc(100vw - 32px);
  box-shadow: 0 20px 60px rgba(16, 24, 40, .28); color: var(--ink); }
dialog::backdrop { background: rgba(16, 22, 34, .45); }
.dlg-title { font-size: 17px; margin: 0 0 8px; }
.dlg-message { color: #4a5263; margin: 0 0 14px; word-break: break-word; }
.dlg-extra:empty { display: none; }
.dlg-extra { margin-bottom: 14px; }
.field select { font: inherit; padding: 4px 8px; border-radius: 6px; border: 1px solid #cfd5de; margin-left: 6px; }
.dlg-buttons { display: flex; justify-content: flex-end; gap: 8px; }
.toast { position: fixed; bottom: 22px; right: 22px; background: #151a24; color: #fff; padding: 10px 16px; border-radius: 8px;
  box-shadow: 0 8px 24px rgba(0, 0, 0, .2); font-weight: 550; }
.toast.error { background: var(--bad); }
@media (max-width: 900px) { .cols { grid-template-columns: 1fr; } .tiles { grid-template-columns: repeat(2, 1fr); } }
.sub { margin: -8px 0 16px; }
.job-layout { display: grid; grid-template-columns: minmax(0, 1fr) 360px; gap: 16px; align-items: start; }
.job-side .facts { grid-template-columns: 1fr 1fr; }
.job-side .facts dd { white-space: nowrap; }
@media (max-width: 1000px) { .job-layout { grid-template-columns: 1fr; } }
`;
