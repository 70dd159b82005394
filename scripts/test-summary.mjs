// Prints one closing line for the whole suite, "total: N passed, N failed, N skipped", from
// the JSON reports that the unit and end-to-end vitest runs write into test-results/.
import { existsSync, readFileSync } from 'node:fs';

const reports = ['test-results/unit.json', 'test-results/e2e.json'];
let passed = 0;
let failed = 0;
let skipped = 0;

for (const report of reports) {
  if (!existsSync(report)) {
    console.log(`test-summary: ${report} is missing, so that run did not finish`);
    failed += 1;
    continue;
  }
  const results = JSON.parse(readFileSync(report, 'utf8'));
  passed += results.numPassedTests;
  // A file whose beforeAll fails reports its tests as skipped, not failed, so count the file.
  const failedFiles = results.testResults.filter((file) => file.status === 'failed').length;
  failed += Math.max(results.numFailedTests, failedFiles);
  skipped += results.numPendingTests + results.numTodoTests;
}

console.log(`total: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
