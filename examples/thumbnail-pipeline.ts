// A flow, as docs/flows.md shows it (`npm run example:thumbnails`; run as a test too): for each
// uploaded image, a parent job "publish" fans out one "thumbnail" child per size to another
// queue, whose CPU-bound processor runs in worker threads (examples/thumbnail-processor.ts);
// once every size is done, the parent runs and collects their results into the image's
// manifest (job.getChildrenValues()).
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { FlowProducer, type Job, Worker } from '../src/index.js';
import { resolveRedis } from './embedded-redis.js';
import type { Thumbnail, ThumbnailJob } from './thumbnail-processor.js';

export const SIZES = [64, 128, 256, 512];

export interface Manifest {
  image: string;
  thumbnails: Thumbnail[];
}

export async function runThumbnails(connection: string, prefix: string, images = 3): Promise<{ manifests: Manifest[]; elapsedMs: number }> {
  const logger = pino({ level: 'warn' });
  const flows = new FlowProducer({ connection, prefix, logger });
  // the CPU-bound step: in worker threads, two at a time (this example's machine has 2 cores)
  const thumbnails = new Worker<ThumbnailJob, Thumbnail>('thumbnails', new URL('./thumbnail-processor.js', import.meta.url), {
    connection,
    prefix,
    logger,
    concurrency: 2,
    sandbox: { type: 'thread' },
  });
  // the fan-in step: runs once per image, after all of its sizes
  const publisher = new Worker<{ image: string }, Manifest>(
    'images',
    async (job) => {
      const values = await job.getChildrenValues<Thumbnail>();
      return { image: job.data.image, thumbnails: Object.values(values).sort((a, b) => a.width - b.width) };
    },
    { connection, prefix, logger },
  );
  const manifests: Manifest[] = [];
  const published = new Promise<void>((resolve, reject) => {
    publisher.on('completed', (job: Job<{ image: string }, Manifest>) => {
      manifests.push(job.returnvalue!);
      if (manifests.length === images) resolve();
    });
    publisher.on('failed', (_job, err) => reject(err));
  });
  const started = Date.now();
  try {
    for (let i = 0; i < images; i++) {
      const image = `upload-${i}.png`;
      await flows.add({
        name: 'publish',
        queueName: 'images',
        data: { image },
        children: SIZES.map((width) => ({ name: 'thumbnail', queueName: 'thumbnails', data: { image, width }, opts: { attempts: 3 } })),
      });
    }
    await published;
    return { manifests, elapsedMs: Date.now() - started };
  } finally {
    await Promise.all([thumbnails.close(), publisher.close()]);
    await flows.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const redis = await resolveRedis();
  try {
    const { manifests, elapsedMs } = await runThumbnails(redis.url, `thumbs-${randomBytes(3).toString('hex')}`);
    for (const m of manifests) console.log(`${m.image}: ${m.thumbnails.map((t) => `${t.width}×${t.height}`).join(', ')}`);
    console.log(`${manifests.length} images × ${SIZES.length} sizes in ${elapsedMs} ms`);
  } finally {
    await redis.stop();
  }
}
