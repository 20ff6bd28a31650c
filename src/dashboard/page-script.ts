// The page's script (served as app.js, never inline, so that the CSP forbids inline script):
// its parts joined in one strict-mode file.
import { PAGE_SCRIPT_CORE } from './page-script-core.js';
import { PAGE_SCRIPT_GROUP } from './page-script-group.js';
import { PAGE_SCRIPT_JOB } from './page-script-job.js';
import { PAGE_SCRIPT_OVERVIEW } from './page-script-overview.js';

/** The script served as app.js. */
export const PAGE_SCRIPT = [PAGE_SCRIPT_CORE, PAGE_SCRIPT_OVERVIEW, PAGE_SCRIPT_GROUP, PAGE_SCRIPT_JOB].join('\n');
