// Keeps passwords out of what sluice reports. ioredis attaches the failed command to an error
// reply (`err.command = { name, args }`); when the handshake fails (a wrong password, a disabled
// user) that command is AUTH, or HELLO ... AUTH, with the password among its arguments, and the
// error reaches logs (as `err`) and the `cause` of sluice's typed errors. Those arguments are
// blanked in place, wherever an error leaves sluice: wrapRedisError and the logger wrapper.
// Messages never carry credentials: addresses are written from host and port, never from a URL.

const REDACTED = '(redacted)';
/** How deep a cause chain is followed (a cycle must not loop). */
const MAX_CAUSES = 8;

function redactCommand(command: unknown): void {
  if (typeof command !== 'object' || command === null) return;
  const { name, args } = command as { name?: unknown; args?: unknown };
  if (typeof name !== 'string' || !Array.isArray(args)) return;
  const lower = name.toLowerCase();
  if (lower === 'auth' && args.length > 0) args[args.length - 1] = REDACTED;
  if (lower === 'hello') {
    // HELLO [protover [AUTH username password] [SETNAME name]]
    const at = args.findIndex((a) => String(a).toUpperCase() === 'AUTH');
    if (at >= 0 && at + 2 < args.length) args[at + 2] = REDACTED;
  }
}

/** Blanks the password of an AUTH or HELLO command carried by `err` or its causes; returns `err`. */
export function redactCredentials<T>(err: T): T {
  let current: unknown = err;
  for (let depth = 0; depth < MAX_CAUSES && typeof current === 'object' && current !== null; depth++) {
    redactCommand((current as { command?: unknown }).command);
    current = (current as { cause?: unknown }).cause;
  }
  return err;
}

/** A log context with the errors among its values redacted (in place, as they are shared). */
export function redactContext(context: object): object {
  for (const value of Object.values(context)) if (value instanceof Error) redactCredentials(value);
  return context;
}
