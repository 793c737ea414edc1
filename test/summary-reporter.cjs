// Mocha's spec reporter plus one closing line, `tests: N passed, N failed, N skipped`,
// which is the plain summary CI reads.
const { reporters, Runner } = require('mocha');

class SpecWithSummary extends reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Runner.constants.EVENT_RUN_END, () => {
      const stats = runner.stats;
      process.nextTick(() => {
        console.log(`tests: ${stats.passes} passed, ${stats.failures} failed, ${stats.pending} skipped`);
      });
    });
  }
}

module.exports = SpecWithSummary;
