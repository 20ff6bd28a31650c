// The `sluice/bull-board` entry point: the Bull Board adapter for sluice queues. It imports
// @bull-board/api (an optional peer dependency), so the main `sluice` entry never loads it.
export { SluiceAdapter, type SluiceAdapterOptions } from './adapter.js';
export { BoardJob } from './board-job.js';
export { BoardActionUnsupportedError } from './refusal.js';
