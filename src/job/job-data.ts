// A job's data as its record holds it: whole in field d, or, for data longer than 64 bytes (up
// to about 3.8 KB), spread over d1..dn with "#n" in d, so that the record stays a compact hash
// (lua/includes/jobData.lua says why and writes it). The TypeScript readers join it here.
import { JobField } from '../redis/keys.js';

/** Most pieces a record's data is spread over (DATA_PIECES_MAX in lua/includes/jobData.lua). */
const PIECES_MAX = 64;

/**
 * The data text of a record read whole (HGETALL): d, or its pieces joined. A marker whose pieces
 * are not all there comes back as it is (it is not JSON: the reader sees it as a string).
 */
export function recordData(hash: Record<string, string>): string | undefined {
  const value = hash[JobField.data];
  if (value === undefined || value.charCodeAt(0) !== 35) return value;
  const n = Math.min(Number(value.slice(1)) || 0, PIECES_MAX);
  let text = '';
  for (let k = 1; k <= n; k++) {
    const piece = hash[JobField.dataPiece(k)];
    if (piece === undefined) return value;
    text += piece;
  }
  return n > 0 ? text : value;
}
