// Some suites start the real compiled program (`node dist/src/main.js`) as a child process:
// build it once, before any suite runs, so parallel suites never race on dist/.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function globalSetup() {
  const root = join(__dirname, '..');
  execFileSync(process.execPath, [join(root, 'node_modules/typescript7/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
};
