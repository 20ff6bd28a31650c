// What a scenario is given and what it gives back: the runner's context (recorder, sizes) and
// the outcome the report prints (the checker's figures, timings, notes, and why it failed).
import type { CheckResult } from '../lib/check.js';
import type { HistoryWriter } from '../lib/history.js';

export interface ScenarioContext {
  quick: boolean;
  /** The recorder redis-server (history), emptied before each scenario. */
  recorderUrl: string;
  /** The runner's own writer, for faults. */
  history: HistoryWriter;
  log(line: string): void;
}

export interface ScenarioOutcome {
  id: string;
  title: string;
  /** The exact parameters, as one line. */
  params: string;
  check: CheckResult;
  elapsedMs: number;
  /** From the last fault to the last job finished (ms). */
  drainAfterLastFaultMs: number | undefined;
  /** Scenario-specific figures, one line each. */
  notes: string[];
  /** Why this scenario fails the run; empty when it passed. */
  failures: string[];
  /** When it failed: lines from the servers' own logs that tell what happened (printed with the failures). */
  evidence?: string[];
}

export interface Scenario {
  id: string;
  run(ctx: ScenarioContext): Promise<ScenarioOutcome[]>;
}
