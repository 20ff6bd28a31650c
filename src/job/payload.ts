// Turns job data, results and progress into JSON, refusing what JSON cannot carry faithfully
// (functions, symbols, BigInt, NaN/Infinity, cycles) and what is over the size limit.
import { InvalidPayloadError, PayloadTooLargeError } from '../errors.js';

function strict(key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'bigint':
      throw new InvalidPayloadError(`value at "${key}" is a BigInt, which JSON cannot carry; convert it to a string`);
    case 'function':
    case 'symbol':
      throw new InvalidPayloadError(`value at "${key}" is a ${typeof value}, which JSON cannot carry`);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new InvalidPayloadError(`value at "${key}" is ${String(value)}, which JSON cannot carry`);
      }
      return value;
    default:
      return value;
  }
}

/** JSON text of `value`, or a typed error. `what` names the value in messages ("job data"). */
export function toJson(value: unknown, what: string, limitBytes?: number): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value === undefined ? null : value, strict);
  } catch (err) {
    if (err instanceof InvalidPayloadError) {
      throw new InvalidPayloadError(`${what} is not JSON-serialisable: ${err.message}`);
    }
    throw new InvalidPayloadError(`${what} is not JSON-serialisable (${(err as Error).message})`, { cause: err });
  }
  if (json === undefined) throw new InvalidPayloadError(`${what} is not JSON-serialisable`);
  if (limitBytes !== undefined && json.length > limitBytes / 3) {
    const size = Buffer.byteLength(json);
    if (size > limitBytes) throw new PayloadTooLargeError(size, limitBytes);
  }
  return json;
}

/** Parses stored JSON; text that is not JSON (a record planted by hand) is returned as is. */
export function fromJson(text: string | undefined | null): unknown {
  if (text === undefined || text === null || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
