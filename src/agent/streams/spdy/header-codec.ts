/**
 * SPDY/3 header-block compression: one zlib stream per direction for the whole connection, primed
 * with the SPDY dictionary. Every block we emit ends on a Z_SYNC_FLUSH boundary (`00 00 ff ff`):
 * Go's reader needs the complete block before it parses the frame, or it waits for bytes that never come.
 */
import zlib from 'node:zlib';
import { spdyDictionary } from './dictionary.js';
import { decodeHeaderBlock, encodeHeaderBlock, type Headers } from './frames.js';

type ZlibStream = zlib.Deflate | zlib.Inflate;

/** Feeds `input` through a persistent zlib stream and returns everything up to the sync-flush point. */
function syncFlush(stream: ZlibStream, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    stream.once('error', onError);
    if (input.length > 0) stream.write(input);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.off('error', onError);
      // paused mode: everything produced so far sits in the readable buffer
      const chunks: Buffer[] = [];
      let chunk: Buffer | null;
      while ((chunk = stream.read() as Buffer | null) !== null) chunks.push(chunk);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** Serialises calls so blocks leave (and are read) in frame order. */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class HeaderCompressor {
  private readonly deflate = zlib.createDeflate({ dictionary: spdyDictionary });
  private readonly serial = new Serial();

  compress(headers: Headers): Promise<Buffer> {
    return this.serial.run(() => syncFlush(this.deflate, encodeHeaderBlock(headers)));
  }

  close(): void {
    this.deflate.destroy();
  }
}

export class HeaderDecompressor {
  // Node answers Z_NEED_DICT with this dictionary (zlib header FDICT id = adler32 e3c6a7c2)
  private readonly inflate = zlib.createInflate({ dictionary: spdyDictionary });
  private readonly serial = new Serial();

  decompress(block: Buffer): Promise<Headers> {
    return this.serial.run(async () => decodeHeaderBlock(await syncFlush(this.inflate, block)));
  }

  close(): void {
    this.inflate.destroy();
  }
}
