import { Transform, type Readable } from 'node:stream';
import streamArray from 'stream-json/streamers/stream-array.js';

/**
 * X's archive files are JavaScript: `window.YTD.<name>.partN = [ … ]`. This drops everything up
 * to the first '=' and streams the array's elements, one assembled object at a time, so a file of
 * any size is never in memory as a whole.
 */
export class NotAnArchiveFile extends Error {}

function skipAssignment(name: string): Transform {
  let head = '';
  let through = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (through) return done(null, chunk);
      head += chunk.toString('latin1');
      const eq = head.indexOf('=');
      if (eq < 0) {
        if (head.length > 200) return done(new NotAnArchiveFile(`${name} does not start with window.YTD.<name>.partN =`));
        return done();
      }
      if (!/^\s*(\ufeff)?\s*window\.[\w.]+\s*$/.test(head.slice(0, eq).replace(/^\u00ef\u00bb\u00bf/, ''))) {
        return done(new NotAnArchiveFile(`${name} does not start with window.YTD.<name>.partN =`));
      }
      through = true;
      // The bytes after '=' as they came (latin1 round-trips every byte).
      done(null, Buffer.from(head.slice(eq + 1), 'latin1'));
    },
  });
}

/** The elements of the array a `window.YTD…` member assigns. */
export async function* ytdElements<T = unknown>(source: Readable, name: string): AsyncIterable<T> {
  const skip = skipAssignment(name);
  const parse = streamArray.withParserAsStream();
  source.on('error', (err) => parse.destroy(err));
  skip.on('error', (err) => parse.destroy(err));
  source.pipe(skip).pipe(parse);
  try {
    for await (const item of parse) yield (item as { value: T }).value;
  } catch (err) {
    if (err instanceof NotAnArchiveFile) throw err;
    throw new NotAnArchiveFile(`${name} is not the JSON array an X archive file holds: ${(err as Error).message}`);
  }
}
