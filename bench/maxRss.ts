/**
 * Preloaded into a measured command (`node --require dist/bench/maxRss.js …`): at exit it writes
 * the process's peak RSS as one line on stderr, which the bench reads.
 */
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `\nBENCH_MAX_RSS_KB=${process.resourceUsage().maxRSS}\n`);
});
