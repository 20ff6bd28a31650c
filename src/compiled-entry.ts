// The compiled file a thread or child process runs. Threads and processes run plain Node, so
// when sluice itself runs from source (the test suite imports src/ through vitest) the entry
// compiled into dist/ is used.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The path of `entry` (a .js URL next to its caller), or of its compiled twin under dist/. */
export function compiledEntry(entry: URL, what: string): string {
  const here = fileURLToPath(entry);
  if (existsSync(here)) return here;
  const compiled = here.replace(/([\\/])src([\\/])/, '$1dist$1src$2');
  if (existsSync(compiled)) return compiled;
  throw new Error(`${what} is missing (${here}): build the package (npm run build)`);
}
