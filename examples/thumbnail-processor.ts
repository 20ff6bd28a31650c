// The thumbnail step of examples/thumbnail-pipeline.ts, run in a sandbox (a worker thread): real
// CPU work — decode a synthetic greyscale image, box-filter it down to the asked width — that
// would block the worker's event loop if it ran in the worker itself (docs/sandbox.md).
import type { SandboxedJob } from '../src/index.js';

export interface ThumbnailJob {
  image: string;
  width: number;
}

export interface Thumbnail {
  width: number;
  height: number;
  /** A checksum of the thumbnail's pixels (a stand-in for the file a real resizer writes). */
  checksum: number;
}

const SOURCE = 1024; // the source image is SOURCE × SOURCE pixels

/** The pixels of a made-up image named `name` (deterministic, so each run gives the same thumbnails). */
function decode(name: string): Uint8Array {
  let seed = 0;
  for (const c of name) seed = (seed * 31 + c.charCodeAt(0)) >>> 0;
  const pixels = new Uint8Array(SOURCE * SOURCE);
  for (let i = 0; i < pixels.length; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    pixels[i] = seed >>> 24;
  }
  return pixels;
}

export default async function thumbnail(job: SandboxedJob<ThumbnailJob>): Promise<Thumbnail> {
  const { image, width } = job.data;
  const pixels = decode(image);
  const scale = SOURCE / width;
  const height = Math.round(SOURCE / scale);
  let checksum = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // the mean of the source block this pixel covers
      let sum = 0;
      let count = 0;
      for (let sy = Math.floor(y * scale); sy < Math.floor((y + 1) * scale); sy++) {
        for (let sx = Math.floor(x * scale); sx < Math.floor((x + 1) * scale); sx++) {
          sum += pixels[sy * SOURCE + sx]!;
          count++;
        }
      }
      checksum = (checksum * 33 + Math.round(sum / Math.max(1, count))) >>> 0;
    }
  }
  await job.log(`${image}: ${width}×${height}`);
  return { width, height, checksum };
}
