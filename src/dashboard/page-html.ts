// The dashboard's page: a static HTML shell (no inline script or style, as the CSP demands) that
// loads app.css and app.js; app.js draws every view into <main>.

/** The page served at the dashboard's root. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>sluice dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="app.css">
<script src="app.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="#/"><span class="logo" aria-hidden="true"></span>sluice</a>
  <span id="prefix" class="muted small"></span>
  <span class="spacer"></span>
  <span id="ro" class="badge ro" hidden>Read-only</span>
  <span id="live" class="live">Connecting…</span>
</header>
<main id="main"><p class="empty">Loading…</p></main>
<dialog id="confirm" aria-labelledby="dlg-title">
  <form method="dialog">
    <h2 class="dlg-title" id="dlg-title"></h2>
    <p class="dlg-message"></p>
    <div class="dlg-extra"></div>
    <div class="dlg-buttons">
      <button class="btn ghost" value="cancel">Cancel</button>
      <button class="btn primary dlg-ok" value="ok"></button>
    </div>
  </form>
</dialog>
<div id="toast" role="status" hidden></div>
</body>
</html>
`;
