// Runs the longest test files first, so that no worker is left with a long file at the end of
// the run. Jest does that from its own timing cache once a run has been made on this machine;
// on a fresh clone it would order by file size, which puts the slowest suites (a few hundred
// lines that write a thousand records) last. durations.json holds their measured times in seconds
// (refresh it with `node test/jest/durations.mjs <jest --json report>` when suites change).
const { default: Sequencer } = require('@jest/test-sequencer');
const { relative } = require('node:path');
const durations = require('./durations.json');

class LongestFirst extends Sequencer {
  time(test) {
    return super.time(test) ?? durations[relative(test.context.config.rootDir, test.path)];
  }
}

module.exports = LongestFirst;
