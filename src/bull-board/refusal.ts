// The error the Bull Board adapter throws for a dashboard action that sluice has no equivalent
// for (a concurrency cap, metrics, cleaning active jobs, ...). Bull Board answers a thrown error
// with its `statusCode` and its message, so the dashboard shows why, instead of a bare 500.

/**
 * A Bull Board action that sluice does not support. Bull Board answers the HTTP request with
 * `statusCode` (400) and this error's message.
 */
export class BoardActionUnsupportedError extends Error {
  /** The HTTP status Bull Board answers with: 400 (the request asks for something sluice cannot do). */
  readonly statusCode = 400;

  /**
   * @param action - what the dashboard asked for, in a few words.
   * @param why - why sluice cannot do it, and what to do instead.
   */
  constructor(action: string, why: string) {
    super(`sluice cannot ${action}: ${why}`);
    this.name = 'BoardActionUnsupportedError';
  }
}

/** Runs `fn`; a sluice error about the job's state (not found 400; active, or a state the action does not apply to, 409), not 500. */
export async function withJobStatus<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (err instanceof Error && (code === 'JOB_NOT_FOUND' || code === 'JOB_ACTIVE' || code === 'JOB_STATE')) {
      Object.assign(err, { statusCode: code === 'JOB_NOT_FOUND' ? 400 : 409 });
    }
    throw err;
  }
}
